import KeepCommands

@main
struct KeepctlMain {
    static func main() async {
        await Keepctl.main()
    }
}
