// KeepStore: how backup data rests on disk.
//
// A file is cut into content-defined chunks (`Chunker`, `FileChunker`), each chunk is compressed when
// that pays (`Compression`, `Zstd`), sealed with AES-256-GCM under the repository key (`RepositoryKey`)
// and appended to a pack file (`PackBuilder`) whose encrypted trailer lists its objects, so a pack alone
// is enough to rebuild the chunk index (`PackReader`). Packs are stored by a `PackBackend`
// (`LocalPackBackend` today, S3-compatible later). Byte formats: Protocol/STORE-FORMAT.md.
