from letrade_cli.cli.entry import main

main()
