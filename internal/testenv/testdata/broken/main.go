// Command broken does not compile, on purpose: testenv's tests check that
// BuildBinary reports the compiler's output.
package main

func main() { undefinedOnPurpose() }
