import Foundation

/// Turns a complete answer into the neutral stream events that would have produced it, and back,
/// so a cached answer can be replayed to a streaming client and a streamed answer can be cached.
public enum CachedStream {
    /// The stream events of `response`: start, text and tool calls in order, stop, usage.
    public static func events(of response: ChatResponse) -> [ChatStreamEvent] {
        var events: [ChatStreamEvent] = [.start(id: response.id, model: response.model)]
        var toolIndex = 0
        for part in response.content {
            switch part {
            case .text(let text):
                if !text.isEmpty { events.append(.textDelta(text)) }
            case .toolCall(let id, let name, let arguments):
                events.append(.toolCallStart(index: toolIndex, id: id, name: name))
                if !arguments.isEmpty { events.append(.toolCallDelta(index: toolIndex, arguments: arguments)) }
                toolIndex += 1
            case .image, .toolResult:
                break
            }
        }
        events.append(.stop(response.stopReason))
        events.append(.usage(response.usage))
        return events
    }
}

/// Collects a stream's events into the complete answer they add up to.
public struct StreamAccumulator: Sendable {
    private var id = ""
    private var model = ""
    private var content: [ChatContent] = []
    private var toolArguments: [Int: (position: Int, id: String, name: String, arguments: String)] = [:]
    private var stopReason: ChatStopReason?
    private var usage = ChatUsage()

    public init() {}

    /// Adds one event.
    public mutating func observe(_ event: ChatStreamEvent) {
        switch event {
        case .start(let id, let model):
            self.id = id
            self.model = model
        case .textDelta(let text):
            if case .text(let previous)? = content.last {
                content[content.count - 1] = .text(previous + text)
            } else {
                content.append(.text(text))
            }
        case .toolCallStart(let index, let id, let name):
            content.append(.toolCall(id: id, name: name, arguments: ""))
            toolArguments[index] = (content.count - 1, id, name, "")
        case .toolCallDelta(let index, let arguments):
            guard var call = toolArguments[index] else { return }
            call.arguments += arguments
            toolArguments[index] = call
            content[call.position] = .toolCall(id: call.id, name: call.name, arguments: call.arguments)
        case .stop(let reason):
            stopReason = reason
        case .usage(let usage):
            self.usage = usage
        }
    }

    /// The complete answer; nil when the stream never said why it stopped (it did not finish).
    public func response(created: Int = Int(Date().timeIntervalSince1970)) -> ChatResponse? {
        guard let stopReason else { return nil }
        return ChatResponse(id: id, model: model, content: content, stopReason: stopReason, usage: usage, created: created)
    }
}
