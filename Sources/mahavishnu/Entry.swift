import MahavishnuCLI

@main
enum Entry {
    static func main() async {
        await MahavishnuCommand.main()
    }
}
