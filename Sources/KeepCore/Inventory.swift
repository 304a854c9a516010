/// The inventory documents an agent records with each snapshot, so an operator can see what a host
/// was (accounts, OS, packages, services) at backup time, list accounts homed on a pool and diff two
/// backup sets. They travel and are stored as JSON with sorted keys: identical systems give
/// identical bytes.
public enum InventoryKind: String, Sendable, Hashable, Codable, CaseIterable {
    case users
    case system
    case packages
    case services
}

/// Local accounts and groups, plus application accounts from a configured command.
public struct UsersInventory: Sendable, Hashable, Codable {
    public var accounts: [Account]
    public var groups: [Group]
    /// Why part of the list is missing (e.g. the application accounts command failed); `nil` when complete.
    public var unavailable: String?

    public init(accounts: [Account], groups: [Group], unavailable: String? = nil) {
        self.accounts = accounts
        self.groups = groups
        self.unavailable = unavailable
    }

    /// One account: a `passwd` line, or an application account reported by a command.
    public struct Account: Sendable, Hashable, Codable {
        public var name: String
        public var uid: UInt32?
        public var gid: UInt32?
        public var home: String?
        public var shell: String?
        /// Names of the groups the account belongs to (primary group first, then supplementary).
        public var groups: [String]
        public var kind: Kind
        /// `passwd` for local accounts, the command line for application accounts.
        public var source: String

        public init(
            name: String, uid: UInt32?, gid: UInt32?, home: String?, shell: String?, groups: [String],
            kind: Kind, source: String
        ) {
            self.name = name
            self.uid = uid
            self.gid = gid
            self.home = home
            self.shell = shell
            self.groups = groups
            self.kind = kind
            self.source = source
        }
    }

    /// Who an account is for: the OS and daemons, a person who can log in, or an application.
    public enum Kind: String, Sendable, Hashable, Codable {
        case system
        case human
        case application
    }

    /// One `group` line.
    public struct Group: Sendable, Hashable, Codable {
        public var name: String
        public var gid: UInt32
        /// Supplementary members as listed in the group file.
        public var members: [String]

        public init(name: String, gid: UInt32, members: [String]) {
            self.name = name
            self.gid = gid
            self.members = members
        }
    }
}

/// OS, kernel, hardware, filesystems and network of a host.
public struct SystemInventory: Sendable, Hashable, Codable {
    public var hostname: String
    public var osRelease: OSRelease
    public var kernel: Kernel
    public var cpu: CPU
    public var memoryBytes: UInt64
    public var filesystems: [Filesystem]
    public var interfaces: [NetworkInterface]
    /// When it was collected, as `UTCStamp.readable` text.
    public var collectedAt: String

    public init(
        hostname: String, osRelease: OSRelease, kernel: Kernel, cpu: CPU, memoryBytes: UInt64,
        filesystems: [Filesystem], interfaces: [NetworkInterface], collectedAt: String
    ) {
        self.hostname = hostname
        self.osRelease = osRelease
        self.kernel = kernel
        self.cpu = cpu
        self.memoryBytes = memoryBytes
        self.filesystems = filesystems
        self.interfaces = interfaces
        self.collectedAt = collectedAt
    }

    /// From `/etc/os-release`.
    public struct OSRelease: Sendable, Hashable, Codable {
        public var id: String
        public var versionId: String
        public var prettyName: String

        public init(id: String, versionId: String, prettyName: String) {
            self.id = id
            self.versionId = versionId
            self.prettyName = prettyName
        }
    }

    /// From `uname`.
    public struct Kernel: Sendable, Hashable, Codable {
        public var release: String
        public var version: String
        public var machine: String

        public init(release: String, version: String, machine: String) {
            self.release = release
            self.version = version
            self.machine = machine
        }
    }

    /// From `/proc/cpuinfo`.
    public struct CPU: Sendable, Hashable, Codable {
        public var model: String
        public var cores: Int

        public init(model: String, cores: Int) {
            self.model = model
            self.cores = cores
        }
    }

    /// One mounted filesystem with its capacity (`statvfs`).
    public struct Filesystem: Sendable, Hashable, Codable {
        public var device: String
        public var mountPoint: String
        public var type: String
        public var sizeBytes: UInt64
        public var freeBytes: UInt64

        public init(device: String, mountPoint: String, type: String, sizeBytes: UInt64, freeBytes: UInt64) {
            self.device = device
            self.mountPoint = mountPoint
            self.type = type
            self.sizeBytes = sizeBytes
            self.freeBytes = freeBytes
        }
    }

    /// One network interface with its addresses (`getifaddrs`).
    public struct NetworkInterface: Sendable, Hashable, Codable {
        public var name: String
        /// `address/prefix`, IPv4 and IPv6, sorted.
        public var addresses: [String]
        public var mac: String?

        public init(name: String, addresses: [String], mac: String?) {
            self.name = name
            self.addresses = addresses
            self.mac = mac
        }
    }
}

/// Installed packages as the package manager reports them.
public struct PackagesInventory: Sendable, Hashable, Codable {
    /// `dpkg` or `rpm`; `nil` when neither is available.
    public var manager: String?
    public var packages: [Package]
    /// Why the list is missing or incomplete (e.g. `dpkg-query not found`); `nil` when complete.
    public var unavailable: String?

    public init(manager: String?, packages: [Package], unavailable: String?) {
        self.manager = manager
        self.packages = packages
        self.unavailable = unavailable
    }

    public struct Package: Sendable, Hashable, Codable {
        public var name: String
        public var version: String
        public var architecture: String

        public init(name: String, version: String, architecture: String) {
            self.name = name
            self.version = version
            self.architecture = architecture
        }
    }
}

/// Service units and their states.
public struct ServicesInventory: Sendable, Hashable, Codable {
    /// `systemd`, or `nil` when no service manager could be asked.
    public var manager: String?
    public var units: [Unit]
    /// Why the list is missing (e.g. `systemctl not found`); `nil` when complete.
    public var unavailable: String?

    public init(manager: String?, units: [Unit], unavailable: String?) {
        self.manager = manager
        self.units = units
        self.unavailable = unavailable
    }

    /// One unit as `systemctl list-units` shows it, with its enablement from `list-unit-files`.
    public struct Unit: Sendable, Hashable, Codable {
        public var name: String
        public var load: String
        public var active: String
        public var sub: String
        public var enabled: String?

        public init(name: String, load: String, active: String, sub: String, enabled: String?) {
            self.name = name
            self.load = load
            self.active = active
            self.sub = sub
            self.enabled = enabled
        }
    }
}
