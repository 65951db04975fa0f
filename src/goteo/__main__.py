from goteo.cli import main

main()
