import GRDB

/// Versioned migrations of the SQLite catalog. A released migration is never edited: changes are new
/// migrations appended at the end.
enum CatalogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pool (name TEXT PRIMARY KEY NOT NULL);
                    CREATE TABLE host (
                        id TEXT PRIMARY KEY NOT NULL,
                        pool TEXT NOT NULL,
                        certificateFingerprint TEXT NOT NULL,
                        firstSeen INTEGER NOT NULL,
                        lastSeen INTEGER NOT NULL,
                        softwareVersion TEXT NOT NULL,
                        protocolVersion INTEGER NOT NULL,
                        capabilities TEXT NOT NULL,
                        remoteAddress TEXT NOT NULL
                    );
                    CREATE TABLE job (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        requestedBy TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        finished INTEGER,
                        status TEXT NOT NULL
                    );
                    CREATE TABLE jobEvent (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        jobID TEXT NOT NULL REFERENCES job(id),
                        at INTEGER NOT NULL,
                        hostID TEXT,
                        kind TEXT NOT NULL,
                        message TEXT NOT NULL
                    );
                    CREATE INDEX jobEvent_job ON jobEvent(jobID);
                    CREATE TABLE backupSet (
                        id TEXT PRIMARY KEY NOT NULL,
                        label TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        jobID TEXT NOT NULL REFERENCES job(id),
                        created INTEGER NOT NULL,
                        finished INTEGER,
                        status TEXT NOT NULL,
                        requestedBy TEXT NOT NULL
                    );
                    CREATE TABLE snapshot (
                        id TEXT PRIMARY KEY NOT NULL,
                        setID TEXT NOT NULL REFERENCES backupSet(id),
                        hostID TEXT NOT NULL,
                        pool TEXT NOT NULL,
                        status TEXT NOT NULL,
                        rootTree BLOB,
                        started INTEGER NOT NULL,
                        finished INTEGER,
                        stats TEXT NOT NULL,
                        error TEXT,
                        pathErrors TEXT NOT NULL
                    );
                    CREATE INDEX snapshot_host ON snapshot(hostID, status);
                    CREATE INDEX snapshot_set ON snapshot(setID);
                    CREATE TABLE inventory (
                        snapshotID TEXT NOT NULL REFERENCES snapshot(id),
                        kind TEXT NOT NULL,
                        json BLOB NOT NULL,
                        PRIMARY KEY (snapshotID, kind)
                    );
                    CREATE TABLE pack (
                        id TEXT PRIMARY KEY NOT NULL,
                        size INTEGER NOT NULL,
                        objects INTEGER NOT NULL,
                        created INTEGER NOT NULL
                    );
                    CREATE TABLE chunk (
                        id BLOB PRIMARY KEY NOT NULL,
                        packID TEXT NOT NULL REFERENCES pack(id),
                        offset INTEGER NOT NULL,
                        length INTEGER NOT NULL,
                        plaintextLength INTEGER NOT NULL,
                        type INTEGER NOT NULL,
                        compressed INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE poolChunk (
                        pool TEXT NOT NULL,
                        chunkID BLOB NOT NULL,
                        PRIMARY KEY (pool, chunkID)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-rollback") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rollbackHost (
                        jobID TEXT NOT NULL REFERENCES job(id),
                        hostID TEXT NOT NULL,
                        snapshotID TEXT NOT NULL,
                        state TEXT NOT NULL,
                        updated INTEGER NOT NULL,
                        PRIMARY KEY (jobID, hostID)
                    );
                    """)
        }
        // The chunk index is most of the catalog, and the catalog counts in the store's size. In v1 every
        // `chunk` row repeated its pack's 64-character hex id and every `poolChunk` row its pool's name:
        // 33,221 chunks took 6.2 MB, 132 bytes per `chunk` row and 48 per `poolChunk` row. Packs and
        // pools now get an integer key that the chunk index refers to instead: 20,000 chunks take 60 + 42
        // bytes each instead of 136 + 48 (measured with dbstat; `SQLiteCatalogTests.chunkIndexStaysCompact`).
        // The migration runs with foreign keys off and checks them before commit (GRDB's deferred checks),
        // so the old tables can be renamed aside, copied and dropped; `SQLiteCatalog.init` then vacuums.
        // A chunk whose pack is missing makes the copy fail on `pack NOT NULL` rather than vanish.
        migrator.registerMigration("v3-compact-chunks") { db in
            try db.execute(
                sql: """
                    ALTER TABLE pool RENAME TO v2Pool;
                    ALTER TABLE pack RENAME TO v2Pack;
                    ALTER TABLE chunk RENAME TO v2Chunk;
                    ALTER TABLE poolChunk RENAME TO v2PoolChunk;

                    CREATE TABLE pool (number INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                    INSERT INTO pool (name) SELECT name FROM v2Pool ORDER BY name;
                    INSERT OR IGNORE INTO pool (name) SELECT DISTINCT pool FROM v2PoolChunk ORDER BY pool;

                    CREATE TABLE pack (
                        number INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        size INTEGER NOT NULL,
                        objects INTEGER NOT NULL,
                        created INTEGER NOT NULL
                    );
                    INSERT INTO pack (id, size, objects, created)
                        SELECT id, size, objects, created FROM v2Pack ORDER BY created, id;

                    CREATE TABLE chunk (
                        id BLOB PRIMARY KEY NOT NULL,
                        pack INTEGER NOT NULL REFERENCES pack(number),
                        offset INTEGER NOT NULL,
                        length INTEGER NOT NULL,
                        plaintextLength INTEGER NOT NULL,
                        type INTEGER NOT NULL,
                        compressed INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO chunk (id, pack, offset, length, plaintextLength, type, compressed)
                        SELECT c.id, (SELECT p.number FROM pack p WHERE p.id = c.packID), c.offset, c.length,
                            c.plaintextLength, c.type, c.compressed
                        FROM v2Chunk c ORDER BY c.id;

                    CREATE TABLE poolChunk (
                        pool INTEGER NOT NULL REFERENCES pool(number),
                        chunkID BLOB NOT NULL,
                        PRIMARY KEY (pool, chunkID)
                    ) WITHOUT ROWID;
                    INSERT INTO poolChunk (pool, chunkID)
                        SELECT p.number, r.chunkID FROM v2PoolChunk r JOIN pool p ON p.name = r.pool
                        ORDER BY p.number, r.chunkID;

                    DROP TABLE v2PoolChunk;
                    DROP TABLE v2Chunk;
                    DROP TABLE v2Pack;
                    DROP TABLE v2Pool;
                    """)
        }
        return migrator
    }
}
