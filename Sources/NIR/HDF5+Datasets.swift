import CHDF5

/// A dataset's contents: a shape in NumPy's order and its elements in row-major order (the last index varies fastest),
/// as HDF5 and h5py store them. A scalar has the shape `[]` and one element.
public struct HDF5Array: Equatable, Sendable {
    /// The element types NIR files use. Integers of any width read as `int64`; floats of four bytes as `float32`,
    /// others as `float64`; fixed- and variable-length strings alike as `string`.
    public enum Elements: Equatable, Sendable {
        case float64([Double])
        case float32([Float])
        case int64([Int64])
        case string([String])

        public var count: Int {
            switch self {
            case .float64(let values): values.count
            case .float32(let values): values.count
            case .int64(let values): values.count
            case .string(let values): values.count
            }
        }

        /// NumPy's name for the element type (`float32`), or `string`.
        public var typeName: String {
            switch self {
            case .float64: "float64"
            case .float32: "float32"
            case .int64: "int64"
            case .string: "string"
            }
        }
    }

    public let shape: [Int]
    public let elements: Elements

    /// The element count must be the product of the shape (1 for the scalar shape `[]`).
    public init(shape: [Int], elements: Elements) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == elements.count,
                     "HDF5Array: \(elements.count) elements do not fill the shape \(shape)")
        self.shape = shape
        self.elements = elements
    }

    /// A one-element array of rank 0.
    public static func scalar(_ text: String) -> HDF5Array {
        HDF5Array(shape: [], elements: .string([text]))
    }
}

/// How a string dataset is laid out in the file.
public enum HDF5StringStorage: Sendable {
    /// One heap string per element: what h5py, and so every NIR writer, uses.
    case variableLength
    /// Every element padded with NUL bytes to the longest one's UTF-8 length, as NumPy's `S` dtype is.
    case fixedLength
}

extension HDF5Group {
    /// Reads the dataset `name` (a path relative to this group) whole. A missing dataset, an element type other than
    /// a number or a string, or a failed read (a compression filter the library lacks, a damaged file) throws an
    /// `HDF5Error` naming the dataset.
    public func read(_ name: String) throws -> HDF5Array {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        let dataset = try HDF5Handle(H5Dopen2(handle.id, name, chdf5_p_default()), .dataset, "H5Dopen2",
                                     file: file, object: object)
        return try dataset.closeAfter { dataset in
            let space = try HDF5Handle(H5Dget_space(dataset.id), .dataspace, "H5Dget_space", file: file,
                                       object: object)
            return try space.closeAfter { space in
                let shape = try shape(of: space, object: object)
                let type = try HDF5Handle(H5Dget_type(dataset.id), .datatype, "H5Dget_type", file: file,
                                          object: object)
                return try type.closeAfter { type in
                    let count = shape.reduce(1, *)
                    let elements: HDF5Array.Elements
                    switch H5Tget_class(type.id) {
                    case H5T_FLOAT where H5Tget_size(type.id) == 4:
                        elements = .float32(try readNumbers(dataset, chdf5_t_native_float(), count, object))
                    case H5T_FLOAT:
                        elements = .float64(try readNumbers(dataset, chdf5_t_native_double(), count, object))
                    case H5T_INTEGER:
                        elements = .int64(try readNumbers(dataset, chdf5_t_native_int64(), count, object))
                    case H5T_STRING:
                        elements = .string(try readStrings(dataset, type, space, count, object))
                    case let other:
                        throw HDF5Error(operation: "read", file: file, object: object,
                                        reason: "HDF5 datatype class \(other.rawValue) is neither a number nor a string")
                    }
                    return HDF5Array(shape: shape, elements: elements)
                }
            }
        }
    }

    /// Creates the dataset `name` in this group holding `array`, with the array's shape (a scalar dataspace for the
    /// shape `[]`). Floats are stored little-endian IEEE, integers as little-endian int64, strings as UTF-8 in the
    /// given layout; a string holding a NUL byte is cut there. Nothing is compressed.
    public func write(_ array: HDF5Array, to name: String, strings: HDF5StringStorage = .variableLength) throws {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        let dims = array.shape.map { hsize_t($0) }
        let spaceID = dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        let space = try HDF5Handle(spaceID, .dataspace, "H5Screate", file: file, object: object)
        try space.closeAfter { space in
            switch array.elements {
            case .float64(let values):
                try writeNumbers(values, chdf5_t_ieee_f64le(), chdf5_t_native_double(), space, name, object)
            case .float32(let values):
                try writeNumbers(values, chdf5_t_ieee_f32le(), chdf5_t_native_float(), space, name, object)
            case .int64(let values):
                try writeNumbers(values, chdf5_t_std_i64le(), chdf5_t_native_int64(), space, name, object)
            case .string(let values):
                try writeStrings(values, strings, space, name, object)
            }
        }
    }

    private func shape(of space: HDF5Handle, object: String) throws -> [Int] {
        if H5Sget_simple_extent_type(space.id) == H5S_NULL {
            throw HDF5Error(operation: "read", file: file, object: object, reason: "the dataset has no dataspace")
        }
        let rank = H5Sget_simple_extent_ndims(space.id)
        if rank < 0 { throw HDF5Error.fromStack("H5Sget_simple_extent_ndims", file: file, object: object) }
        // A scalar has rank 0 but HDF5 still expects room for one dimension.
        var dims = [hsize_t](repeating: 0, count: max(Int(rank), 1))
        if H5Sget_simple_extent_dims(space.id, &dims, nil) < 0 {
            throw HDF5Error.fromStack("H5Sget_simple_extent_dims", file: file, object: object)
        }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    private func readNumbers<T: Numeric>(_ dataset: HDF5Handle, _ memoryType: hid_t, _ count: Int,
                                         _ object: String) throws -> [T] {
        var values = [T](repeating: .zero, count: count)
        if count > 0 {
            try values.withUnsafeMutableBytes { buffer in
                try HDF5.check(H5Dread(dataset.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                                       buffer.baseAddress), "H5Dread", file: file, object: object)
            }
        }
        return values
    }

    /// HDF5 converts between string layouts only when the memory type matches the file's in both variable-ness and
    /// character set, so the memory type is built from the file's.
    private func readStrings(_ dataset: HDF5Handle, _ fileType: HDF5Handle, _ space: HDF5Handle, _ count: Int,
                             _ object: String) throws -> [String] {
        let variable = H5Tis_variable_str(fileType.id)
        if variable < 0 { throw HDF5Error.fromStack("H5Tis_variable_str", file: file, object: object) }
        let characterSet = H5Tget_cset(fileType.id)
        if characterSet == H5T_CSET_ERROR { throw HDF5Error.fromStack("H5Tget_cset", file: file, object: object) }
        let fixedSize = H5Tget_size(fileType.id)
        if fixedSize == 0 { throw HDF5Error.fromStack("H5Tget_size", file: file, object: object) }
        if count == 0 { return [] }
        let memory = try HDF5Handle(H5Tcopy(chdf5_t_c_s1()), .datatype, "H5Tcopy", file: file, object: object)
        return try memory.closeAfter { memory in
            try HDF5.check(H5Tset_cset(memory.id, characterSet), "H5Tset_cset", file: file, object: object)
            if variable > 0 {
                try HDF5.check(H5Tset_size(memory.id, chdf5_t_variable()), "H5Tset_size", file: file, object: object)
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                try HDF5.check(H5Dread(dataset.id, memory.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                                       &pointers), "H5Dread", file: file, object: object)
                let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                try HDF5.check(H5Dvlen_reclaim(memory.id, space.id, chdf5_p_default(), &pointers),
                               "H5Dvlen_reclaim", file: file, object: object)
                return strings
            }
            // One byte more per element than the file's size, so that a string filling its field still ends in NUL.
            let stride = fixedSize + 1
            try HDF5.check(H5Tset_size(memory.id, stride), "H5Tset_size", file: file, object: object)
            try HDF5.check(H5Tset_strpad(memory.id, H5T_STR_NULLTERM), "H5Tset_strpad", file: file, object: object)
            var buffer = [CChar](repeating: 0, count: stride * count)
            try HDF5.check(H5Dread(dataset.id, memory.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                                   &buffer), "H5Dread", file: file, object: object)
            return buffer.withUnsafeBufferPointer { bytes in
                (0..<count).map { String(cString: bytes.baseAddress! + $0 * stride) }
            }
        }
    }

    private func createDataset(_ name: String, _ object: String, type: hid_t,
                               space: HDF5Handle) throws -> HDF5Handle {
        let id = try HDF5.withUTF8Names(file: file, object: object) { names in
            H5Dcreate2(handle.id, name, type, space.id, names, chdf5_p_default(), chdf5_p_default())
        }
        return try HDF5Handle(id, .dataset, "H5Dcreate2", file: file, object: object)
    }

    private func writeNumbers<T>(_ values: [T], _ fileType: hid_t, _ memoryType: hid_t, _ space: HDF5Handle,
                                 _ name: String, _ object: String) throws {
        try createDataset(name, object, type: fileType, space: space).closeAfter { dataset in
            guard !values.isEmpty else { return }
            try values.withUnsafeBytes { buffer in
                try HDF5.check(H5Dwrite(dataset.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                                        buffer.baseAddress), "H5Dwrite", file: file, object: object)
            }
        }
    }

    private func writeStrings(_ values: [String], _ storage: HDF5StringStorage, _ space: HDF5Handle,
                              _ name: String, _ object: String) throws {
        let type = try HDF5Handle(H5Tcopy(chdf5_t_c_s1()), .datatype, "H5Tcopy", file: file, object: object)
        try type.closeAfter { type in
            try HDF5.check(H5Tset_cset(type.id, H5T_CSET_UTF8), "H5Tset_cset", file: file, object: object)
            let encoded = values.map { Array($0.utf8CString) }
            switch storage {
            case .variableLength:
                try HDF5.check(H5Tset_size(type.id, chdf5_t_variable()), "H5Tset_size", file: file, object: object)
                try createDataset(name, object, type: type.id, space: space).closeAfter { dataset in
                    guard !values.isEmpty else { return }
                    let pointers = encoded.map { bytes in
                        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
                        copy.initialize(from: bytes, count: bytes.count)
                        return copy
                    }
                    defer { pointers.forEach { $0.deallocate() } }
                    try pointers.withUnsafeBytes { buffer in
                        try HDF5.check(H5Dwrite(dataset.id, type.id, chdf5_s_all(), chdf5_s_all(),
                                                chdf5_p_default(), buffer.baseAddress),
                                       "H5Dwrite", file: file, object: object)
                    }
                }
            case .fixedLength:
                // HDF5 refuses a zero-sized string type, hence at least one byte.
                let lengths = encoded.map { $0.firstIndex(of: 0)! }
                let size = max(1, lengths.max() ?? 0)
                try HDF5.check(H5Tset_size(type.id, size), "H5Tset_size", file: file, object: object)
                try HDF5.check(H5Tset_strpad(type.id, H5T_STR_NULLPAD), "H5Tset_strpad", file: file, object: object)
                var padded = [CChar](repeating: 0, count: size * values.count)
                for (index, bytes) in encoded.enumerated() {
                    padded.replaceSubrange(index * size..<index * size + lengths[index], with: bytes[..<lengths[index]])
                }
                try createDataset(name, object, type: type.id, space: space).closeAfter { dataset in
                    guard !values.isEmpty else { return }
                    try HDF5.check(H5Dwrite(dataset.id, type.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                                            padded), "H5Dwrite", file: file, object: object)
                }
            }
        }
    }
}
