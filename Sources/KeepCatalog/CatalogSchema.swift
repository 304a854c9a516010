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
        return migrator
    }
}
