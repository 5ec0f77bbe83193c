/// A group's contents as values: its attributes and its members, each a dataset (with its own storage and attributes)
/// or a group. The NIR reader keeps in one of these whatever it does not interpret, so that writing the graph again
/// writes it back unchanged.
public struct HDF5Tree: Equatable, Sendable {
    public var attributes: [String: HDF5Array]
    public var members: [String: HDF5TreeMember]

    public init(attributes: [String: HDF5Array] = [:], members: [String: HDF5TreeMember] = [:]) {
        self.attributes = attributes
        self.members = members
    }

    public var isEmpty: Bool { attributes.isEmpty && members.isEmpty }
}

public indirect enum HDF5TreeMember: Equatable, Sendable {
    case dataset(HDF5Array)
    case group(HDF5Tree)
}

extension HDF5Group {
    /// Everything under this group, read whole; `skipping` names members left out. A member that is neither a group
    /// nor a dataset (a named datatype, a soft or external link) throws: nothing is dropped without a word.
    public func readTree(skipping: Set<String> = []) throws -> HDF5Tree {
        var tree = HDF5Tree(attributes: try attributes())
        for name in try memberNames() where !skipping.contains(name) {
            switch try kind(of: name) {
            case .dataset:
                tree.members[name] = .dataset(try read(name))
            case .group:
                tree.members[name] = .group(try withGroup(name) { try $0.readTree() })
            case .other:
                throw HDF5Error(operation: "read", file: file, object: HDF5.join(path, name),
                                reason: "neither a group nor a dataset")
            }
        }
        return tree
    }

    /// Writes `tree`'s attributes onto this group and its members into it, in name order.
    public func writeTree(_ tree: HDF5Tree) throws {
        try writeAttributes(tree.attributes)
        for name in tree.members.keys.sorted() {
            switch tree.members[name]! {
            case .dataset(let array):
                try write(array, to: name)
            case .group(let subtree):
                let group = try createGroup(name)
                try group.closeAfter { try group.writeTree(subtree) }
            }
        }
    }
}
