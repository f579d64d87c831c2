// Command hello is built by the testenv package's own tests.
package main

import "fmt"

func main() { fmt.Println("hello from testenv") }
