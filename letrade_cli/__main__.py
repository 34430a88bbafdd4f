from letrade_cli.cli.app import main

main()
