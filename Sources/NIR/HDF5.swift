import CHDF5

/// One open HDF5 identifier and the routine that releases it. Every id this layer opens lives in one of these, and is
/// closed by `closeAfter` whether the work in between returns or throws.
struct HDF5Handle: Sendable {
    enum Kind: Sendable {
        case file, group, dataset, dataspace, datatype, propertyList, attribute
        /// A group or a dataset opened without knowing which (`H5Oopen`).
        case object

        var closeRoutine: String {
            switch self {
            case .file: "H5Fclose"
            case .group: "H5Gclose"
            case .dataset: "H5Dclose"
            case .dataspace: "H5Sclose"
            case .datatype: "H5Tclose"
            case .propertyList: "H5Pclose"
            case .attribute: "H5Aclose"
            case .object: "H5Oclose"
            }
        }
    }

    let id: hid_t
    let kind: Kind
    let file: String
    let object: String

    /// Wraps the id a routine returned, or throws HDF5's reason when it returned a negative one.
    init(_ id: hid_t, _ kind: Kind, _ routine: String, file: String, object: String = "") throws {
        if id < 0 { throw HDF5Error.fromStack(routine, file: file, object: object) }
        self.id = id
        self.kind = kind
        self.file = file
        self.object = object
    }

    func close() throws {
        HDF5.prepare()
        let status = switch kind {
        case .file: H5Fclose(id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .dataspace: H5Sclose(id)
        case .datatype: H5Tclose(id)
        case .propertyList: H5Pclose(id)
        case .attribute: H5Aclose(id)
        case .object: H5Oclose(id)
        }
        try HDF5.check(status, kind.closeRoutine, file: file, object: object)
    }

    /// Runs `body`, then closes the id. When `body` throws, its error wins over any failure to close.
    func closeAfter<R>(_ body: (HDF5Handle) throws -> R) throws -> R {
        let result: R
        do {
            result = try body(self)
        } catch {
            try? close()
            throw error
        }
        try close()
        return result
    }
}

/// The calls every operation shares.
enum HDF5 {
    /// HDF5's error printing is a per-thread setting in its thread-safe build, so it is switched off on the calling
    /// thread before every operation rather than once.
    static func prepare() {
        _ = chdf5_silence_errors()
    }

    static func check(_ status: herr_t, _ routine: String, file: String, object: String = "") throws {
        if status < 0 { throw HDF5Error.fromStack(routine, file: file, object: object) }
    }

    /// An object's path from its parent's, as HDF5 would spell it.
    static func join(_ parent: String, _ name: String) -> String {
        parent.hasSuffix("/") ? parent + name : parent + "/" + name
    }

    /// Link creation properties that mark new names as UTF-8, as h5py does, so non-ASCII node names survive.
    static func withUTF8Names<R>(file: String, object: String, _ body: (hid_t) throws -> R) throws -> R {
        let list = try HDF5Handle(H5Pcreate(chdf5_p_link_create()), .propertyList, "H5Pcreate",
                                  file: file, object: object)
        return try list.closeAfter { list in
            try check(H5Pset_char_encoding(list.id, H5T_CSET_UTF8), "H5Pset_char_encoding", file: file,
                      object: object)
            return try body(list.id)
        }
    }
}

/// An HDF5 file opened by this layer, the counterpart of swift-system's `FileDescriptor`: a value holding the open
/// id, closed by `close()` or at the end of `closeAfter`.
public struct HDF5File: Sendable {
    /// The path as it was given, named in every error about the file.
    public let path: String
    let handle: HDF5Handle

    private init(path: String, handle: HDF5Handle) {
        self.path = path
        self.handle = handle
    }

    /// Opens an existing file read-only. A missing file, a directory, or a file that is not HDF5 (no HDF5 signature,
    /// or truncated) throws an `HDF5Error` naming the path; nothing is printed.
    public static func open(_ path: String) throws -> HDF5File {
        HDF5.prepare()
        let id = H5Fopen(path, chdf5_f_acc_rdonly(), chdf5_p_default())
        return HDF5File(path: path, handle: try HDF5Handle(id, .file, "H5Fopen", file: path))
    }

    /// Creates a file, replacing any file already at `path`, open for writing.
    public static func create(_ path: String) throws -> HDF5File {
        HDF5.prepare()
        let id = H5Fcreate(path, chdf5_f_acc_trunc(), chdf5_p_default(), chdf5_p_default())
        return HDF5File(path: path, handle: try HDF5Handle(id, .file, "H5Fcreate", file: path))
    }

    /// Closes the file. Groups still open keep it open until they are closed too.
    public func close() throws {
        try handle.close()
    }

    /// Runs `body`, then closes the file, also when `body` throws.
    public func closeAfter<R>(_ body: () throws -> R) throws -> R {
        try handle.closeAfter { _ in try body() }
    }

    /// Opens the root group `/`, or the group at an absolute path such as `/node/nodes`.
    public func openGroup(_ path: String = "/") throws -> HDF5Group {
        HDF5.prepare()
        let id = H5Gopen2(handle.id, path, chdf5_p_default())
        return HDF5Group(file: self.path, path: path, handle: try HDF5Handle(id, .group, "H5Gopen2", file: self.path,
                                                                             object: path))
    }

    /// Runs `body` with the root group, then closes the group (not the file).
    public func withRoot<R>(_ body: (HDF5Group) throws -> R) throws -> R {
        let root = try openGroup()
        return try root.closeAfter { try body(root) }
    }
}

/// What a group's member is.
public enum HDF5MemberKind: Sendable, Equatable {
    case group, dataset
    /// A named datatype, or a link this layer does not follow.
    case other
}

/// An open HDF5 group: lists its members, opens and creates subgroups, and reads and writes datasets by name.
public struct HDF5Group: Sendable {
    /// The file the group is in, as it was given.
    public let file: String
    /// The group's absolute path in the file (`/`, `/node`).
    public let path: String
    let handle: HDF5Handle

    init(file: String, path: String, handle: HDF5Handle) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    public func close() throws {
        try handle.close()
    }

    /// Runs `body`, then closes the group, also when `body` throws.
    public func closeAfter<R>(_ body: () throws -> R) throws -> R {
        try handle.closeAfter { _ in try body() }
    }

    /// Opens the subgroup `name` (a path relative to this group).
    public func openGroup(_ name: String) throws -> HDF5Group {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        let id = H5Gopen2(handle.id, name, chdf5_p_default())
        return HDF5Group(file: file, path: object, handle: try HDF5Handle(id, .group, "H5Gopen2", file: file,
                                                                          object: object))
    }

    /// Creates the subgroup `name`, which must not exist yet.
    public func createGroup(_ name: String) throws -> HDF5Group {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        // No modification times in the object header: the same graph written twice gives the same bytes.
        let properties = try HDF5Handle(H5Pcreate(chdf5_p_group_create()), .propertyList, "H5Pcreate", file: file,
                                        object: object)
        let id = try properties.closeAfter { properties in
            try HDF5.check(H5Pset_obj_track_times(properties.id, false), "H5Pset_obj_track_times", file: file,
                           object: object)
            return try HDF5.withUTF8Names(file: file, object: object) { names in
                H5Gcreate2(handle.id, name, names, properties.id, chdf5_p_default())
            }
        }
        return HDF5Group(file: file, path: object, handle: try HDF5Handle(id, .group, "H5Gcreate2", file: file,
                                                                          object: object))
    }

    /// Runs `body` with the subgroup `name`, then closes it.
    public func withGroup<R>(_ name: String, _ body: (HDF5Group) throws -> R) throws -> R {
        let group = try openGroup(name)
        return try group.closeAfter { try body(group) }
    }

    /// The names of the group's members in HDF5's name order, which is lexicographic by bytes (`0, 1, 10, 2`): it
    /// says nothing about the order in which they were written.
    public func memberNames() throws -> [String] {
        HDF5.prepare()
        var info = H5G_info_t()
        try HDF5.check(H5Gget_info(handle.id, &info), "H5Gget_info", file: file, object: path)
        return try (0..<info.nlinks).map { index in
            let length = H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                                            chdf5_p_default())
            if length < 0 { throw HDF5Error.fromStack("H5Lget_name_by_idx", file: file, object: path) }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            let written = H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer,
                                             buffer.count, chdf5_p_default())
            if written < 0 { throw HDF5Error.fromStack("H5Lget_name_by_idx", file: file, object: path) }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// Whether the group has a member called `name` (a single name, not a path).
    public func contains(_ name: String) throws -> Bool {
        HDF5.prepare()
        let exists = H5Lexists(handle.id, name, chdf5_p_default())
        if exists < 0 { throw HDF5Error.fromStack("H5Lexists", file: file, object: HDF5.join(path, name)) }
        return exists > 0
    }

    /// Whether the member `name` is a group or a dataset.
    public func kind(of name: String) throws -> HDF5MemberKind {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        let member = try HDF5Handle(H5Oopen(handle.id, name, chdf5_p_default()), .object, "H5Oopen", file: file,
                                    object: object)
        let type = try member.closeAfter { H5Iget_type($0.id) }
        return switch type {
        case H5I_GROUP: .group
        case H5I_DATASET: .dataset
        default: .other
        }
    }
}
