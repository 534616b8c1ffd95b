from pks.cli import main

main()
