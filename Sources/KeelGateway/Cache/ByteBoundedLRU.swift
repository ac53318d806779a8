/// A least-recently-used map bounded by the total cost (bytes) of its values: inserting past the
/// bound evicts the least recently used entries first. A pure value type; callers lock it.
///
/// Entries live in one array linked into a recency list by index (no per-entry allocation);
/// freed slots are reused.
public struct ByteBoundedLRU<Value> {
    fileprivate struct Node {
        var key: String
        var value: Value?
        var cost: Int
        var newer: Int = -1
        var older: Int = -1
    }

    /// The most total cost kept.
    public let maxCost: Int
    /// The total cost of the entries kept.
    public private(set) var totalCost = 0
    /// Entries evicted to make room since creation.
    public private(set) var evictions = 0
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var slots: [String: Int] = [:]
    /// Most and least recently used slots.
    private var newest = -1
    private var oldest = -1

    /// An empty map holding at most `maxCost` in total.
    public init(maxCost: Int) {
        self.maxCost = max(0, maxCost)
    }

    /// The number of entries.
    public var count: Int { slots.count }

    /// The value for `key`, which becomes the most recently used; nil when absent.
    public mutating func value(for key: String) -> Value? {
        guard let slot = slots[key] else { return nil }
        unlink(slot)
        linkNewest(slot)
        return nodes[slot].value
    }

    /// The value for `key` without changing the order.
    public func peek(_ key: String) -> Value? {
        slots[key].flatMap { nodes[$0].value }
    }

    /// Keys from most to least recently used.
    public var keysByRecency: [String] {
        var keys: [String] = []
        var slot = newest
        while slot >= 0 {
            keys.append(nodes[slot].key)
            slot = nodes[slot].older
        }
        return keys
    }

    /// Stores `value` for `key` as the most recently used, evicting as needed. A value costing more
    /// than ``maxCost`` is not stored (and removes an older value for the key). Returns whether it was stored.
    @discardableResult
    public mutating func insert(_ value: Value, for key: String, cost: Int) -> Bool {
        removeValue(for: key)
        guard cost <= maxCost else { return false }
        while totalCost + cost > maxCost, oldest >= 0 {
            removeValue(for: nodes[oldest].key)
            evictions += 1
        }
        let node = Node(key: key, value: value, cost: cost)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        slots[key] = slot
        linkNewest(slot)
        totalCost += cost
        return true
    }

    /// Removes `key`'s entry, if any.
    public mutating func removeValue(for key: String) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        unlink(slot)
        totalCost -= nodes[slot].cost
        nodes[slot].value = nil
        nodes[slot].key = ""
        free.append(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let node = nodes[slot]
        if node.newer >= 0 { nodes[node.newer].older = node.older } else { newest = node.older }
        if node.older >= 0 { nodes[node.older].newer = node.newer } else { oldest = node.newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }

    private mutating func linkNewest(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 { nodes[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}

extension ByteBoundedLRU: Sendable where Value: Sendable {}
extension ByteBoundedLRU.Node: Sendable where Value: Sendable {}
