import Foundation

/// The `present_bitmap` of HaveChunksResponse: bit `i` (byte `i / 8`, least significant bit first)
/// says whether the i-th requested id is already stored. Wrapped here so neither side gets the bit
/// order wrong.
extension Keep_V1_HaveChunksResponse {
    /// A response whose bitmap encodes `present`, one flag per requested id, in request order.
    public init(present: [Bool]) {
        self.init()
        var bitmap = [UInt8](repeating: 0, count: (present.count + 7) / 8)
        for (index, flag) in present.enumerated() where flag {
            bitmap[index / 8] |= 1 << UInt8(index % 8)
        }
        presentBitmap = Data(bitmap)
    }

    /// Whether the id at `index` of the request is present; `false` beyond the bitmap's end.
    public func isPresent(_ index: Int) -> Bool {
        guard index >= 0, index / 8 < presentBitmap.count else { return false }
        return presentBitmap[presentBitmap.startIndex + index / 8] & (1 << UInt8(index % 8)) != 0
    }
}
