enum VPlayReportPlaceholder {}
