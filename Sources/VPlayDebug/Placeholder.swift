enum VPlayDebugPlaceholder {}
