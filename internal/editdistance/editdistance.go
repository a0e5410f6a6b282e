// Package editdistance measures how far apart two words are, for the "did
// you mean" suggestions of the request schema and the IAM action catalog.
package editdistance

// Levenshtein is the Levenshtein distance between a and b (insertions,
// deletions and substitutions of one element each), giving up and returning
// limit+1 once it exceeds limit, which keeps suggestions over thousands of
// candidates cheap. A negative limit never gives up.
func Levenshtein[E comparable](a, b []E, limit int) int {
	if limit < 0 {
		limit = max(len(a), len(b))
	}
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Strings is Levenshtein over the characters (runes) of a and b.
func Strings(a, b string, limit int) int {
	return Levenshtein([]rune(a), []rune(b), limit)
}
