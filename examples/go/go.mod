module example.com/dopt-go-example

go 1.19
