// KeelTestSupport
