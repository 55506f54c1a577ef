/// A fixed number of entries; adding one more forgets the one used longest ago. Lookups and insertions take
/// constant time: the entries form a doubly linked list by index, most recently used at the head.
struct LRUCache<Key: Hashable, Value> {
    private struct Entry {
        var key: Key
        var value: Value
        var newer: Int?
        var older: Int?
    }

    let capacity: Int
    private var entries: [Entry] = []
    private var indexes: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?

    init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.capacity = capacity
    }

    var count: Int { indexes.count }

    /// The value, now the most recently used.
    mutating func value(for key: Key) -> Value? {
        guard let index = indexes[key] else { return nil }
        moveToFront(index)
        return entries[index].value
    }

    mutating func insert(_ value: Value, for key: Key) {
        if let index = indexes[key] {
            entries[index].value = value
            moveToFront(index)
            return
        }
        let index: Int
        if entries.count == capacity, let oldest {
            // The oldest entry's place is reused for the new one.
            index = oldest
            unlink(index)
            indexes[entries[index].key] = nil
            entries[index] = Entry(key: key, value: value)
        } else {
            index = entries.count
            entries.append(Entry(key: key, value: value))
        }
        indexes[key] = index
        linkAtFront(index)
    }

    private mutating func moveToFront(_ index: Int) {
        guard newest != index else { return }
        unlink(index)
        linkAtFront(index)
    }

    private mutating func unlink(_ index: Int) {
        let (newer, older) = (entries[index].newer, entries[index].older)
        if let newer { entries[newer].older = older } else { newest = older }
        if let older { entries[older].newer = newer } else { oldest = newer }
        entries[index].newer = nil
        entries[index].older = nil
    }

    private mutating func linkAtFront(_ index: Int) {
        entries[index].older = newest
        entries[index].newer = nil
        if let newest { entries[newest].newer = index }
        newest = index
        if oldest == nil { oldest = index }
    }
}
