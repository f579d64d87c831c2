package pii

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestKeccak256(t *testing.T) {
	for in, want := range map[string]string{
		"":    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
		"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
	} {
		h := keccak256([]byte(in))
		if got := hex.EncodeToString(h[:]); got != want {
			t.Errorf("keccak256(%q) = %s, want %s", in, got, want)
		}
	}
}

// base58Encode encodes version+payload with its base58check checksum.
func base58Encode(version byte, payload []byte) string {
	b := append([]byte{version}, payload...)
	h := sha256.Sum256(b)
	h = sha256.Sum256(h[:])
	b = append(b, h[:4]...)
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, big.NewInt(58), mod)
		out = append(out, b58Alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// segwitEncode builds a bc1 address for a witness version and program.
func segwitEncode(ver int, prog []byte) string {
	data := []byte{byte(ver)}
	acc, nb := 0, 0
	for _, b := range prog {
		acc = acc<<8 | int(b)
		nb += 8
		for nb >= 5 {
			nb -= 5
			data = append(data, byte(acc>>nb&31))
		}
	}
	if nb > 0 {
		data = append(data, byte(acc<<(5-nb)&31))
	}
	chk := uint32(1)
	for _, c := range []byte{'b' >> 5, 'c' >> 5, 0, 'b' & 31, 'c' & 31} {
		chk = bech32Polymod(chk, c)
	}
	for _, c := range data {
		chk = bech32Polymod(chk, c)
	}
	for k := 0; k < 6; k++ {
		chk = bech32Polymod(chk, 0)
	}
	if ver == 0 {
		chk ^= bech32Const
	} else {
		chk ^= bech32mConst
	}
	for k := 0; k < 6; k++ {
		data = append(data, byte(chk>>(5*(5-k))&31))
	}
	var sb strings.Builder
	sb.WriteString("bc1")
	for _, v := range data {
		sb.WriteByte(bech32Charset[v])
	}
	return sb.String()
}

// eip55 returns the checksummed form of a 40-digit hex address.
func eip55(addr string) string {
	low := strings.ToLower(addr)
	h := keccak256([]byte(low))
	b := []byte(low)
	for i, c := range b {
		nib := h[i/2] >> 4
		if i%2 == 1 {
			nib = h[i/2] & 0xf
		}
		if isLower(c) && nib >= 8 {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func flipChar(s string, i int, alphabet string) string {
	b := []byte(s)
	k := strings.IndexByte(alphabet, b[i])
	b[i] = alphabet[(k+1)%len(alphabet)]
	return string(b)
}

func TestCrypto(t *testing.T) {
	d := only(t, "CRYPTO")
	// Published addresses (Bitcoin wiki, BIP 173, BIP 350, EIP-55).
	for _, a := range []string{
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
		"bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		expect(t, d, "send to "+a+".", hit{"CRYPTO", a})
	}
	r := rand.New(rand.NewPCG(9, 10))
	for k := 0; k < 100; k++ {
		h := make([]byte, 32)
		for i := range h {
			h[i] = byte(r.IntN(256))
		}
		for _, a := range []string{
			base58Encode(0x00, h[:20]), base58Encode(0x05, h[:20]),
			segwitEncode(0, h[:20]), segwitEncode(0, h), segwitEncode(1, h),
			"0x" + eip55(hex.EncodeToString(h[:20])),
		} {
			expect(t, d, "wallet "+a, hit{"CRYPTO", a})
			// One character changed breaks the checksum.
			var bad string
			switch {
			case strings.HasPrefix(a, "0x"):
				// Flip the case of a letter: the EIP-55 check fails.
				b := []byte(a)
				for i := 2; i < len(b); i++ {
					if isLetter(b[i]) {
						b[i] ^= 0x20
						break
					}
				}
				bad = string(b)
				if strings.ToLower(bad) == bad || strings.ToUpper(bad[2:]) == bad[2:] {
					continue // became single-case: no checksum to fail
				}
			case strings.HasPrefix(a, "bc1"):
				bad = flipChar(a, 10, bech32Charset)
			default:
				bad = flipChar(a, 10, b58Alphabet)
			}
			expect(t, d, "wallet "+bad)
		}
	}
	// Single-case Ethereum addresses carry no checksum: reported at a
	// lower score, boosted by context.
	plain := "0xde709f2102306220921060314715629080e2fb77"
	expect(t, d, "to "+plain, hit{"CRYPTO", plain})
	if ms := d.Find([]byte("to "+plain), nil); ms[0].Score != ethPlainScore {
		t.Errorf("plain address score %v", ms[0].Score)
	}
	if ms := d.Find([]byte("eth wallet "+plain), nil); ms[0].Score != ethPlainScore+ContextBoost {
		t.Errorf("plain address with context: score %v", ms[0].Score)
	}
	for _, text := range []string{
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  // checksum
		"bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  // mixed case
		"bc1zw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  // wrong version
		"xbc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", // inside a word
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",          // checksum
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2x",         // longer word
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  // EIP-55 checksum
		"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae",   // 39 digits
		"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed0", // 41 digits
		"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg",  // not hex
		"9fceb02d0ae598e95dc970b74767f19372d61af8",    // a git hash
		"12345678901234567890123456789012345",         // digits only, checksum fails
	} {
		expect(t, d, text)
	}
}
