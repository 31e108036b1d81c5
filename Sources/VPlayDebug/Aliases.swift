import VPlayBundle

// swift-log and Foundation export types of the same names.
typealias LogEvent = VPlayBundle.LogEvent
typealias Bundle = VPlayBundle.Bundle
