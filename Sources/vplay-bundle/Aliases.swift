import VPlayBundle
typealias LogEvent = VPlayBundle.LogEvent
