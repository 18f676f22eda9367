module github.com/opendms/opendms

go 1.26
