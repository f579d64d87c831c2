package pii

import (
	"crypto/sha256"
	"math/bits"
)

// CRYPTO: wallet addresses.
//
//   - Bitcoin P2PKH ('1…') and P2SH ('3…'): 26 to 35 base58 characters
//     decoding to version byte 0x00 or 0x05, a 20-byte hash and a 4-byte
//     checksum equal to the start of SHA-256(SHA-256(version+hash)).
//   - Bitcoin SegWit "bc1…": bech32 (witness version 0) or bech32m
//     (versions 1-16) with a valid checksum, a witness program of 2 to 40
//     bytes (20 or 32 for version 0), one case throughout.
//   - Ethereum: "0x" and 40 hex digits. Mixed case must be a valid EIP-55
//     checksum (Keccak-256 of the lower-case address); a single-case
//     address carries no checksum and scores lower.
//
// Checksummed addresses score 1; single-case Ethereum addresses 0.5.

const (
	cryptoScore   = 1.0
	ethPlainScore = 0.5
)

const b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var b58Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b58Alphabet); i++ {
		t[b58Alphabet[i]] = int8(i)
	}
	return t
}()

// base58 checks a P2PKH/P2SH address starting at text[i].
func (d *Detector) base58(text []byte, i int, dst []Match) []Match {
	if !d.on[entCrypto] {
		return dst
	}
	end := wordEnd(text, i)
	if l := end - i; l < 26 || l > 35 || isWord(at(text, end)) {
		return dst
	}
	if !base58Check(text[i:end]) {
		return dst
	}
	return d.emit(dst, text, entCrypto, i, end, cryptoScore)
}

// base58Check decodes a Bitcoin base58check address and verifies its
// version byte and checksum.
func base58Check(s []byte) bool {
	var out [25]byte
	for _, c := range s {
		v := b58Value[c]
		if v < 0 {
			return false
		}
		carry := int(v)
		for k := len(out) - 1; k >= 0; k-- {
			carry += int(out[k]) * 58
			out[k] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return false // more than 25 bytes
		}
	}
	// Leading '1's stand for leading zero bytes, and only they do.
	ones := 0
	for ones < len(s) && s[ones] == '1' {
		ones++
	}
	zeros := 0
	for zeros < len(out) && out[zeros] == 0 {
		zeros++
	}
	if ones != zeros {
		return false
	}
	if out[0] != 0x00 && out[0] != 0x05 {
		return false
	}
	h := sha256.Sum256(out[:21])
	h = sha256.Sum256(h[:])
	return h[0] == out[21] && h[1] == out[22] && h[2] == out[23] && h[3] == out[24]
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

var bech32Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(bech32Charset); i++ {
		c := bech32Charset[i]
		t[c] = int8(i)
		if isLower(c) {
			t[c-'a'+'A'] = int8(i)
		}
	}
	return t
}()

const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

func bech32Polymod(chk uint32, v byte) uint32 {
	b := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ uint32(v)
	for i, g := range [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3} {
		if (b>>i)&1 != 0 {
			chk ^= g
		}
	}
	return chk
}

// bech32 checks a SegWit address whose "bc" starts at text[s].
func (d *Detector) bech32(text []byte, s int, dst []Match) []Match {
	if !d.on[entCrypto] {
		return dst
	}
	end := wordEnd(text, s)
	if l := end - s; l < 14 || l > 90 || isWord(at(text, end)) {
		return dst
	}
	if !segwitOK(text[s:end]) {
		return dst
	}
	return d.emit(dst, text, entCrypto, s, end, cryptoScore)
}

// segwitOK verifies a "bc1…" address: one case, bech32 characters, the
// checksum for its witness version and the witness program length.
func segwitOK(a []byte) bool {
	upper, lower := false, false
	for _, c := range a {
		upper = upper || isUpper(c)
		lower = lower || isLower(c)
	}
	if upper && lower {
		return false
	}
	data := a[3:] // after "bc1"
	if len(data) < 7 {
		return false
	}
	// hrp "bc" expanded: high bits, 0, low bits.
	chk := uint32(1)
	for _, c := range [...]byte{'b' >> 5, 'c' >> 5, 0, 'b' & 31, 'c' & 31} {
		chk = bech32Polymod(chk, c)
	}
	for _, c := range data {
		v := bech32Value[c]
		if v < 0 {
			return false
		}
		chk = bech32Polymod(chk, byte(v))
	}
	ver := bech32Value[data[0]]
	if ver > 16 {
		return false
	}
	if (ver == 0 && chk != bech32Const) || (ver > 0 && chk != bech32mConst) {
		return false
	}
	// Witness program: 5-bit groups to bytes, padding under 5 bits and zero.
	prog := data[1 : len(data)-6]
	nbits := len(prog) * 5
	nbytes := nbits / 8
	if nbits%8 >= 5 || len(prog) == 0 {
		return false
	}
	if last := bech32Value[prog[len(prog)-1]]; nbits%8 != 0 && int(last)&(1<<(nbits%8)-1) != 0 {
		return false
	}
	if nbytes < 2 || nbytes > 40 || (ver == 0 && nbytes != 20 && nbytes != 32) {
		return false
	}
	return true
}

// ethereum checks "0x" and 40 hex digits at text[i].
func (d *Detector) ethereum(text []byte, i int, dst []Match) []Match {
	if !d.on[entCrypto] {
		return dst
	}
	end := i + 42
	if end > len(text) || isWord(at(text, end)) {
		return dst
	}
	addr := text[i+2 : end]
	upper, lower := false, false
	for _, c := range addr {
		if !isHex(c) {
			return dst
		}
		upper = upper || isUpper(c)
		lower = lower || isLower(c)
	}
	if upper && lower {
		if !eip55OK(addr) {
			return dst
		}
		return d.emit(dst, text, entCrypto, i, end, cryptoScore)
	}
	return d.emit(dst, text, entCrypto, i, end, ethPlainScore)
}

// eip55OK reports whether the mixed-case hex address (40 digits, no
// "0x") carries a valid EIP-55 checksum: letter i is upper case exactly
// when nibble i of Keccak-256(lower-case address) is 8 or more.
func eip55OK(addr []byte) bool {
	var low [40]byte
	for i, c := range addr {
		if isUpper(c) {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	h := keccak256(low[:])
	for i, c := range addr {
		if !isLetter(c) {
			continue
		}
		nib := h[i/2] >> 4
		if i%2 == 1 {
			nib = h[i/2] & 0xf
		}
		if (nib >= 8) != isUpper(c) {
			return false
		}
	}
	return true
}

// keccak256 is the original Keccak-256 (padding 0x01, as Ethereum uses),
// not SHA3-256, for inputs shorter than one 136-byte block.
func keccak256(msg []byte) (out [32]byte) {
	const rate = 136
	var block [rate]byte
	copy(block[:], msg)
	block[len(msg)] ^= 0x01
	block[rate-1] ^= 0x80
	var a [25]uint64
	for i := 0; i < rate/8; i++ {
		var w uint64
		for k := 7; k >= 0; k-- {
			w = w<<8 | uint64(block[i*8+k])
		}
		a[i] ^= w
	}
	keccakF(&a)
	for i := 0; i < 4; i++ {
		for k := 0; k < 8; k++ {
			out[i*8+k] = byte(a[i] >> (8 * k))
		}
	}
	return out
}

var keccakRC = [24]uint64{
	0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
	0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
	0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
	0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
	0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
	0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
}

// keccakRot[x][y] is the rotation of lane (x, y) in the rho step.
var keccakRot = [5][5]int{
	{0, 36, 3, 41, 18},
	{1, 44, 10, 45, 2},
	{62, 6, 43, 15, 61},
	{28, 55, 25, 21, 56},
	{27, 20, 39, 8, 14},
}

// keccakF is the Keccak-f[1600] permutation on lanes a[x+5y].
func keccakF(a *[25]uint64) {
	for round := 0; round < 24; round++ {
		var c [5]uint64
		for x := 0; x < 5; x++ {
			c[x] = a[x] ^ a[x+5] ^ a[x+10] ^ a[x+15] ^ a[x+20]
		}
		for x := 0; x < 5; x++ {
			d := c[(x+4)%5] ^ bits.RotateLeft64(c[(x+1)%5], 1)
			for y := 0; y < 25; y += 5 {
				a[y+x] ^= d
			}
		}
		var b [25]uint64
		for x := 0; x < 5; x++ {
			for y := 0; y < 5; y++ {
				b[y+5*((2*x+3*y)%5)] = bits.RotateLeft64(a[x+5*y], keccakRot[x][y])
			}
		}
		for y := 0; y < 25; y += 5 {
			for x := 0; x < 5; x++ {
				a[y+x] = b[y+x] ^ (^b[y+(x+1)%5] & b[y+(x+2)%5])
			}
		}
		a[0] ^= keccakRC[round]
	}
}
