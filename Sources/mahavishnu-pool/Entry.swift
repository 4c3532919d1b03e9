import MahavishnuPoolCommand

@main
enum Entry {
    static func main() async {
        await MahavishnuPoolCommand.main()
    }
}
