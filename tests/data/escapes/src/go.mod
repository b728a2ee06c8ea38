module example.com/esc

go 1.21
