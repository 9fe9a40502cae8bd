#pragma once
// "Did you mean ...?" for misspelled spec keys: the valid key nearest to an
// unknown one by edit distance.
//
// The distance is the optimal-string-alignment form of Damerau–Levenshtein
// (insertions, deletions, substitutions and swaps of two adjacent letters each
// cost 1; Damerau 1964), case-insensitive: the usual slips of typing
// ("integrater", "widht", "rtl", "Seed") are all at distance 1.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

std::size_t key_edit_distance(const std::string& a, const std::string& b);

// The largest distance at which `candidate` still counts as a likely
// misspelling of `key`: a third of the shorter length, at least 1, so that
// short keys ("dt", "eta") are not matched to unrelated short keys.
std::size_t misspelling_radius(const std::string& key, const std::string& candidate);

// The candidate nearest to `key` within its misspelling radius (ties: the
// earlier candidate), or nothing.
std::optional<std::string> nearest_key(const std::string& key,
                                       const std::vector<std::string>& candidates);

}  // namespace gradflow
