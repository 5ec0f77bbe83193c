import CHDF5

/// A dataset's (or an attribute's) contents: a shape in NumPy's order and its elements in row-major order (the last
/// index varies fastest), as HDF5 and h5py store them. A scalar has the shape `[]` and one element.
///
/// Equality compares the values (shape and elements) only; how a file stored them (`storage`) is kept so that a file
/// read and written again stores them the same way, but two arrays of equal values are equal whatever their storage.
public struct HDF5Array: Sendable {
    /// The element types NIR files use. Integers of any width read as `int64`; floats of four bytes as `float32`,
    /// others as `float64`; fixed- and variable-length strings alike as `string`. The width and layout the file used
    /// are in `storage`.
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
    public var storage: HDF5Storage

    /// The element count must be the product of the shape (1 for the scalar shape `[]`).
    public init(shape: [Int], elements: Elements, storage: HDF5Storage = HDF5Storage()) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == elements.count,
                     "HDF5Array: \(elements.count) elements do not fill the shape \(shape)")
        self.shape = shape
        self.elements = elements
        self.storage = storage
    }

    /// A one-element array of rank 0.
    public static func scalar(_ text: String) -> HDF5Array {
        HDF5Array(shape: [], elements: .string([text]))
    }

    /// The index of the first NaN or infinite element (nil when all are finite, or for strings), without copying.
    public var firstNonFinite: Int? {
        switch elements {
        case .float64(let values): values.firstIndex { !$0.isFinite }
        case .float32(let values): values.firstIndex { !$0.isFinite }
        case .int64, .string: nil
        }
    }

    /// Mean and population variance of the numbers, in two passes in Double without copying (nil for strings or no
    /// elements).
    public var meanAndVariance: (mean: Double, variance: Double)? {
        func moments<C: Collection>(_ values: C, _ value: (C.Element) -> Double) -> (Double, Double)? {
            guard !values.isEmpty else { return nil }
            var sum = 0.0
            for element in values { sum += value(element) }
            let mean = sum / Double(values.count)
            var squares = 0.0
            for element in values {
                let deviation = value(element) - mean
                squares += deviation * deviation
            }
            return (mean, squares / Double(values.count))
        }
        switch elements {
        case .float64(let values): return moments(values) { $0 }
        case .float32(let values): return moments(values) { Double($0) }
        case .int64(let values): return moments(values) { Double($0) }
        case .string: return nil
        }
    }

    /// The elements as doubles (strings give nil).
    public var doubles: [Double]? {
        switch elements {
        case .float64(let values): values
        case .float32(let values): values.map(Double.init)
        case .int64(let values): values.map(Double.init)
        case .string: nil
        }
    }
}

extension HDF5Array: Equatable {
    public static func == (lhs: HDF5Array, rhs: HDF5Array) -> Bool {
        lhs.shape == rhs.shape && lhs.elements == rhs.elements
    }
}

/// How a file stores an array, beyond its values: the element type on disk, gzip compression, and the HDF5
/// attributes attached to it. `nil` fields mean this layer's defaults (little-endian IEEE floats of the elements'
/// width, little-endian int64, variable-length UTF-8 strings; no compression).
public struct HDF5Storage: Equatable, Sendable {
    public var fileType: HDF5FileType?
    /// The deflate (gzip) level, 0-9, when the dataset is compressed. Scalars and empty arrays are never compressed.
    public var gzipLevel: Int?
    public var attributes: [String: HDF5Array]

    public init(fileType: HDF5FileType? = nil, gzipLevel: Int? = nil, attributes: [String: HDF5Array] = [:]) {
        self.fileType = fileType
        self.gzipLevel = gzipLevel
        self.attributes = attributes
    }
}

/// An element type as the file holds it.
public enum HDF5FileType: Equatable, Sendable {
    /// IEEE little-endian of 4 or 8 bytes (a float of another width is written back with 8).
    case float(bytes: Int)
    /// Little-endian two's complement (or unsigned) of 1, 2, 4 or 8 bytes.
    case integer(bytes: Int, signed: Bool)
    case string(HDF5StringStorage, utf8: Bool)
}

/// How a string dataset is laid out in the file.
public enum HDF5StringStorage: Equatable, Sendable {
    /// One heap string per element: what h5py, and so every NIR writer, uses.
    case variableLength
    /// Every element padded with NUL bytes to the longest one's UTF-8 length, as NumPy's `S` dtype is.
    case fixedLength
}

/// A dataset or an attribute: both have a dataspace and a datatype and are read and written whole, by different
/// routines.
private struct ArrayObject {
    let handle: HDF5Handle
    let isAttribute: Bool

    var spaceID: hid_t { isAttribute ? H5Aget_space(handle.id) : H5Dget_space(handle.id) }
    var typeID: hid_t { isAttribute ? H5Aget_type(handle.id) : H5Dget_type(handle.id) }
    var routine: String { isAttribute ? "H5Aread" : "H5Dread" }

    func read(_ memoryType: hid_t, _ buffer: UnsafeMutableRawPointer?) -> herr_t {
        isAttribute ? H5Aread(handle.id, memoryType, buffer)
            : H5Dread(handle.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
    }

    func write(_ memoryType: hid_t, _ buffer: UnsafeRawPointer?) -> herr_t {
        isAttribute ? H5Awrite(handle.id, memoryType, buffer)
            : H5Dwrite(handle.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
    }
}

/// Reading and writing arrays for one object of one file: the code datasets and attributes share.
struct HDF5ArrayIO {
    let file: String

    /// Reads a whole dataset or attribute, with its file type (not its compression or attributes).
    fileprivate func read(_ object: ArrayObject, path: String) throws -> HDF5Array {
        let space = try HDF5Handle(object.spaceID, .dataspace, "get_space", file: file, object: path)
        return try space.closeAfter { space in
            let shape = try shape(of: space, object: path)
            let type = try HDF5Handle(object.typeID, .datatype, "get_type", file: file, object: path)
            return try type.closeAfter { type in
                let count = shape.reduce(1, *)
                let size = H5Tget_size(type.id)
                let elements: HDF5Array.Elements
                let fileType: HDF5FileType
                switch H5Tget_class(type.id) {
                case H5T_FLOAT where size == 4:
                    elements = .float32(try readNumbers(object, chdf5_t_native_float(), count, path))
                    fileType = .float(bytes: 4)
                case H5T_FLOAT:
                    elements = .float64(try readNumbers(object, chdf5_t_native_double(), count, path))
                    fileType = .float(bytes: 8)
                case H5T_INTEGER:
                    elements = .int64(try readNumbers(object, chdf5_t_native_int64(), count, path))
                    fileType = .integer(bytes: size, signed: H5Tget_sign(type.id) != H5T_SGN_NONE)
                case H5T_STRING:
                    let (strings, layout, utf8) = try readStrings(object, type, space, count, path)
                    elements = .string(strings)
                    fileType = .string(layout, utf8: utf8)
                case let other:
                    throw HDF5Error(operation: "read", file: file, object: path,
                                    reason: "HDF5 datatype class \(other.rawValue) is neither a number nor a string")
                }
                return HDF5Array(shape: shape, elements: elements, storage: HDF5Storage(fileType: fileType))
            }
        }
    }

    private func shape(of space: HDF5Handle, object: String) throws -> [Int] {
        if H5Sget_simple_extent_type(space.id) == H5S_NULL {
            throw HDF5Error(operation: "read", file: file, object: object, reason: "the object has no dataspace")
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

    private func readNumbers<T: Numeric>(_ object: ArrayObject, _ memoryType: hid_t, _ count: Int,
                                         _ path: String) throws -> [T] {
        var values = [T](repeating: .zero, count: count)
        if count > 0 {
            try values.withUnsafeMutableBytes { buffer in
                try HDF5.check(object.read(memoryType, buffer.baseAddress), object.routine, file: file, object: path)
            }
        }
        return values
    }

    /// HDF5 converts between string layouts only when the memory type matches the file's in both variable-ness and
    /// character set, so the memory type is built from the file's.
    private func readStrings(_ object: ArrayObject, _ fileType: HDF5Handle, _ space: HDF5Handle, _ count: Int,
                             _ path: String) throws -> ([String], HDF5StringStorage, Bool) {
        let variable = H5Tis_variable_str(fileType.id)
        if variable < 0 { throw HDF5Error.fromStack("H5Tis_variable_str", file: file, object: path) }
        let characterSet = H5Tget_cset(fileType.id)
        if characterSet == H5T_CSET_ERROR { throw HDF5Error.fromStack("H5Tget_cset", file: file, object: path) }
        let fixedSize = H5Tget_size(fileType.id)
        if fixedSize == 0 { throw HDF5Error.fromStack("H5Tget_size", file: file, object: path) }
        let layout: HDF5StringStorage = variable > 0 ? .variableLength : .fixedLength
        let utf8 = characterSet == H5T_CSET_UTF8
        if count == 0 { return ([], layout, utf8) }
        let memory = try HDF5Handle(H5Tcopy(chdf5_t_c_s1()), .datatype, "H5Tcopy", file: file, object: path)
        let strings: [String] = try memory.closeAfter { memory in
            try HDF5.check(H5Tset_cset(memory.id, characterSet), "H5Tset_cset", file: file, object: path)
            if variable > 0 {
                try HDF5.check(H5Tset_size(memory.id, chdf5_t_variable()), "H5Tset_size", file: file, object: path)
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                try HDF5.check(object.read(memory.id, &pointers), object.routine, file: file, object: path)
                let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                try HDF5.check(H5Dvlen_reclaim(memory.id, space.id, chdf5_p_default(), &pointers),
                               "H5Dvlen_reclaim", file: file, object: path)
                return strings
            }
            // One byte more per element than the file's size, so that a string filling its field still ends in NUL.
            let stride = fixedSize + 1
            try HDF5.check(H5Tset_size(memory.id, stride), "H5Tset_size", file: file, object: path)
            try HDF5.check(H5Tset_strpad(memory.id, H5T_STR_NULLTERM), "H5Tset_strpad", file: file, object: path)
            var buffer = [CChar](repeating: 0, count: stride * count)
            try HDF5.check(object.read(memory.id, &buffer), object.routine, file: file, object: path)
            return buffer.withUnsafeBufferPointer { bytes in
                (0..<count).map { String(cString: bytes.baseAddress! + $0 * stride) }
            }
        }
        return (strings, layout, utf8)
    }

    /// A dataspace of the array's shape (a scalar dataspace for the shape `[]`).
    func space(for array: HDF5Array, path: String) throws -> HDF5Handle {
        let dims = array.shape.map { hsize_t($0) }
        let spaceID = dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        return try HDF5Handle(spaceID, .dataspace, "H5Screate", file: file, object: path)
    }

    /// The file datatype for `array`: its storage's, else the default for its elements (`strings` for strings).
    func fileType(for array: HDF5Array, strings: HDF5StringStorage, path: String) throws -> HDF5Handle {
        let base: hid_t
        switch (array.elements, array.storage.fileType) {
        case (.float32, _): base = chdf5_t_ieee_f32le()
        case (.float64, _): base = chdf5_t_ieee_f64le()
        case (.int64, .integer(let bytes, _)) where [1, 2, 4, 8].contains(bytes): base = chdf5_t_std_i8le()
        case (.int64, _): base = chdf5_t_std_i64le()
        case (.string, _): base = chdf5_t_c_s1()
        }
        let type = try HDF5Handle(H5Tcopy(base), .datatype, "H5Tcopy", file: file, object: path)
        do {
            switch (array.elements, array.storage.fileType) {
            case (.int64, .integer(let bytes, let signed)) where [1, 2, 4, 8].contains(bytes):
                // Growing the size keeps the 8-bit precision, which HDF5 then reads as a damaged type.
                try HDF5.check(H5Tset_size(type.id, bytes), "H5Tset_size", file: file, object: path)
                try HDF5.check(H5Tset_precision(type.id, 8 * bytes), "H5Tset_precision", file: file, object: path)
                try HDF5.check(H5Tset_sign(type.id, signed ? H5T_SGN_2 : H5T_SGN_NONE), "H5Tset_sign", file: file,
                               object: path)
            case (.string(let values), let stored):
                var layout = strings
                var utf8 = true
                if case .string(let storedLayout, let storedUTF8) = stored {
                    layout = storedLayout
                    utf8 = storedUTF8
                }
                try HDF5.check(H5Tset_cset(type.id, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), "H5Tset_cset",
                               file: file, object: path)
                switch layout {
                case .variableLength:
                    try HDF5.check(H5Tset_size(type.id, chdf5_t_variable()), "H5Tset_size", file: file, object: path)
                case .fixedLength:
                    // HDF5 refuses a zero-sized string type, hence at least one byte.
                    let size = max(1, values.map { $0.utf8.prefix { $0 != 0 }.count }.max() ?? 0)
                    try HDF5.check(H5Tset_size(type.id, size), "H5Tset_size", file: file, object: path)
                    try HDF5.check(H5Tset_strpad(type.id, H5T_STR_NULLPAD), "H5Tset_strpad", file: file,
                                   object: path)
                }
            default:
                break
            }
        } catch {
            try? type.close()
            throw error
        }
        return type
    }

    /// Writes `array` whole into an object created with `type`. Numbers go through the native memory type (HDF5
    /// converts to the file's width); strings in the file type's own layout.
    fileprivate func write(_ array: HDF5Array, into object: ArrayObject, type: HDF5Handle, path: String) throws {
        guard array.elements.count > 0 else { return }
        let routine = object.isAttribute ? "H5Awrite" : "H5Dwrite"
        switch array.elements {
        case .float64(let values):
            try values.withUnsafeBytes { buffer in
                try HDF5.check(object.write(chdf5_t_native_double(), buffer.baseAddress), routine, file: file,
                               object: path)
            }
        case .float32(let values):
            try values.withUnsafeBytes { buffer in
                try HDF5.check(object.write(chdf5_t_native_float(), buffer.baseAddress), routine, file: file,
                               object: path)
            }
        case .int64(let values):
            try values.withUnsafeBytes { buffer in
                try HDF5.check(object.write(chdf5_t_native_int64(), buffer.baseAddress), routine, file: file,
                               object: path)
            }
        case .string(let values):
            let encoded = values.map { Array($0.utf8CString) }
            if H5Tis_variable_str(type.id) > 0 {
                let pointers = encoded.map { bytes in
                    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
                    copy.initialize(from: bytes, count: bytes.count)
                    return copy
                }
                defer { pointers.forEach { $0.deallocate() } }
                try pointers.withUnsafeBytes { buffer in
                    try HDF5.check(object.write(type.id, buffer.baseAddress), routine, file: file, object: path)
                }
            } else {
                // A string holding a NUL byte is cut there.
                let size = H5Tget_size(type.id)
                var padded = [CChar](repeating: 0, count: size * values.count)
                for (index, bytes) in encoded.enumerated() {
                    let length = min(size, bytes.firstIndex(of: 0)!)
                    padded.replaceSubrange(index * size..<index * size + length, with: bytes[..<length])
                }
                try HDF5.check(object.write(type.id, padded), routine, file: file, object: path)
            }
        }
    }
}

extension HDF5Group {
    /// Reads the dataset `name` (a path relative to this group) whole, with how the file stores it (element type,
    /// compression, attributes). A missing dataset, an element type other than a number or a string, or a failed read
    /// (a compression filter the library lacks, a damaged file) throws an `HDF5Error` naming the dataset.
    public func read(_ name: String) throws -> HDF5Array {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        let dataset = try HDF5Handle(H5Dopen2(handle.id, name, chdf5_p_default()), .dataset, "H5Dopen2",
                                     file: file, object: object)
        return try dataset.closeAfter { dataset in
            let io = HDF5ArrayIO(file: file)
            let gzipLevel = try gzipLevel(of: dataset, object: object)
            var array = try io.read(ArrayObject(handle: dataset, isAttribute: false), path: object)
            array.storage.gzipLevel = gzipLevel
            array.storage.attributes = try HDF5Attributes(file: file, path: object).read(from: dataset.id)
            return array
        }
    }

    /// Creates the dataset `name` in this group holding `array`, stored as `array.storage` says (element type,
    /// gzip level, attributes) or, where it says nothing, as little-endian IEEE floats, little-endian int64 and UTF-8
    /// strings in the layout `strings`, uncompressed.
    public func write(_ array: HDF5Array, to name: String, strings: HDF5StringStorage = .variableLength) throws {
        HDF5.prepare()
        let object = HDF5.join(path, name)
        let io = HDF5ArrayIO(file: file)
        try io.space(for: array, path: object).closeAfter { space in
            try io.fileType(for: array, strings: strings, path: object).closeAfter { type in
                try creationProperties(for: array, object: object).closeAfter { properties in
                    let id = try HDF5.withUTF8Names(file: file, object: object) { names in
                        H5Dcreate2(handle.id, name, type.id, space.id, names, properties.id, chdf5_p_default())
                    }
                    try HDF5Handle(id, .dataset, "H5Dcreate2", file: file, object: object).closeAfter { dataset in
                        try io.write(array, into: ArrayObject(handle: dataset, isAttribute: false), type: type,
                                     path: object)
                        try HDF5Attributes(file: file, path: object).write(array.storage.attributes, to: dataset.id)
                    }
                }
            }
        }
    }

    /// The attributes attached to this group.
    public func attributes() throws -> [String: HDF5Array] {
        HDF5.prepare()
        return try HDF5Attributes(file: file, path: path).read(from: handle.id)
    }

    /// Attaches `attributes` to this group (names it already has are refused by HDF5).
    public func writeAttributes(_ attributes: [String: HDF5Array]) throws {
        HDF5.prepare()
        try HDF5Attributes(file: file, path: path).write(attributes, to: handle.id)
    }

    /// Deflate needs a chunked layout; one chunk holds the whole array (NIR arrays are far below HDF5's 4 GB chunk
    /// limit), which is what h5py chooses for arrays of this size too.
    private func creationProperties(for array: HDF5Array, object: String) throws -> HDF5Handle {
        let list = try HDF5Handle(H5Pcreate(chdf5_p_dataset_create()), .propertyList, "H5Pcreate", file: file,
                                  object: object)
        // No modification times in the object headers: the same graph written twice gives the same bytes.
        do {
            try HDF5.check(H5Pset_obj_track_times(list.id, false), "H5Pset_obj_track_times", file: file, object: object)
        } catch {
            try? list.close()
            throw error
        }
        guard let level = array.storage.gzipLevel, !array.shape.isEmpty, array.elements.count > 0 else { return list }
        do {
            let chunk = array.shape.map { hsize_t($0) }
            try HDF5.check(H5Pset_chunk(list.id, Int32(chunk.count), chunk), "H5Pset_chunk", file: file,
                           object: object)
            try HDF5.check(H5Pset_deflate(list.id, UInt32(min(max(level, 0), 9))), "H5Pset_deflate", file: file,
                           object: object)
        } catch {
            try? list.close()
            throw error
        }
        return list
    }

    /// The deflate level, nil when uncompressed; any other filter must be one the library has.
    private func gzipLevel(of dataset: HDF5Handle, object: String) throws -> Int? {
        let list = try HDF5Handle(H5Dget_create_plist(dataset.id), .propertyList, "H5Dget_create_plist",
                                  file: file, object: object)
        return try list.closeAfter { list in
            let count = H5Pget_nfilters(list.id)
            if count < 0 { throw HDF5Error.fromStack("H5Pget_nfilters", file: file, object: object) }
            for index in 0..<UInt32(count) {
                var flags: UInt32 = 0
                var valueCount = 1
                var values: [UInt32] = [0]
                var nameBuffer = [CChar](repeating: 0, count: 64)
                var config: UInt32 = 0
                let filter = H5Pget_filter2(list.id, index, &flags, &valueCount, &values, nameBuffer.count,
                                            &nameBuffer, &config)
                if filter == H5Z_FILTER_DEFLATE { return Int(valueCount > 0 ? values[0] : 4) }
                // Checked before the read, which would fail with a message about plugin directories.
                if H5Zfilter_avail(filter) <= 0 {
                    let name = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    throw HDF5Error(operation: "read", file: file, object: object,
                                    reason: "compressed with HDF5 filter \(filter) (\(name.isEmpty ? "unnamed" : name)), "
                                        + "which this HDF5 library lacks (gzip and uncompressed data are read)")
                }
            }
            return nil
        }
    }
}

/// The attributes of one object (a group or a dataset), read and written whole.
struct HDF5Attributes {
    let file: String
    let path: String

    func read(from objectID: hid_t) throws -> [String: HDF5Array] {
        let count = H5Aget_num_attrs(objectID)
        if count < 0 { throw HDF5Error.fromStack("H5Aget_num_attrs", file: file, object: path) }
        var attributes: [String: HDF5Array] = [:]
        for index in 0..<hsize_t(count) {
            let length = H5Aget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                                            chdf5_p_default())
            if length < 0 { throw HDF5Error.fromStack("H5Aget_name_by_idx", file: file, object: path) }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            if H5Aget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                  chdf5_p_default()) < 0 {
                throw HDF5Error.fromStack("H5Aget_name_by_idx", file: file, object: path)
            }
            let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let where_ = "\(path)@\(name)"
            let attribute = try HDF5Handle(H5Aopen(objectID, name, chdf5_p_default()), .attribute, "H5Aopen",
                                           file: file, object: where_)
            attributes[name] = try attribute.closeAfter { attribute in
                try HDF5ArrayIO(file: file).read(ArrayObject(handle: attribute, isAttribute: true), path: where_)
            }
        }
        return attributes
    }

    func write(_ attributes: [String: HDF5Array], to objectID: hid_t) throws {
        let io = HDF5ArrayIO(file: file)
        for name in attributes.keys.sorted() {
            let array = attributes[name]!
            let where_ = "\(path)@\(name)"
            try io.space(for: array, path: where_).closeAfter { space in
                try io.fileType(for: array, strings: .variableLength, path: where_).closeAfter { type in
                    let id = H5Acreate2(objectID, name, type.id, space.id, chdf5_p_default(), chdf5_p_default())
                    try HDF5Handle(id, .attribute, "H5Acreate2", file: file, object: where_).closeAfter { attribute in
                        try io.write(array, into: ArrayObject(handle: attribute, isAttribute: true), type: type,
                                     path: where_)
                    }
                }
            }
        }
    }
}
