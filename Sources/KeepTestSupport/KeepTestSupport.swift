// KeepTestSupport module.
