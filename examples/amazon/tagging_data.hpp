#pragma once
// The tutorial's "Amazon" problem as a generated tagging data set: in
//   "i love amazon . it is a great website"   amazon is an ORGanisation,
//   "i love amazon . it is a beautiful river"  amazon is a LOCation:
// the tag of an ambiguous word depends only on a cue word that comes AFTER it. The words
// before it (the opening phrase) are drawn independently of the tag, so a model that reads
// left to right cannot know the tag when it must emit it, and one that also reads right to
// left can.

#include <birnn/birnn.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace amazon {

enum Tag : int { O = 0, ORG = 1, LOC = 2, PER = 3 };
inline const char* tag_name(int t) {
  static const char* names[] = {"O", "ORG", "LOC", "PER"};
  return names[t];
}
constexpr int tag_count = 4;

// An ambiguous word, its two readings and the cue words that choose each.
struct Ambiguous {
  const char* word;
  Tag first, second;
  std::vector<const char*> first_cues, second_cues;
};

inline const std::vector<Ambiguous>& ambiguous_words() {
  static const std::vector<Ambiguous> words = {
      {"amazon", ORG, LOC, {"website", "company", "store", "shop"}, {"river", "forest", "jungle", "basin"}},
      {"jordan", PER, LOC, {"player", "champion", "athlete", "coach"}, {"country", "kingdom", "desert", "border"}},
      {"washington", PER, LOC, {"president", "general", "leader", "man"}, {"city", "state", "capital", "place"}},
      {"apple", ORG, O, {"brand", "firm", "corporation", "business"}, {"fruit", "snack", "tree", "pie"}},
  };
  return words;
}

inline const std::vector<const char*>& openings() {
  static const std::vector<const char*> o = {"i love", "we visited", "they talked about", "everyone knows",
                                             "she wrote about", "you saw", "he likes", "people discuss"};
  return o;
}
inline const std::vector<const char*>& fillers() {
  static const std::vector<const char*> f = {"today", "again", "often", "yesterday", "a lot", "every day"};
  return f;
}
inline const std::vector<const char*>& adjectives() {
  static const std::vector<const char*> a = {"great", "beautiful", "famous", "big", "old", "wonderful"};
  return a;
}

// Word <-> id; id 0 is padding (Embedding mask_zero=True).
class Vocabulary {
 public:
  Vocabulary() {
    words_.push_back("<pad>");
    for (const char* p : {".", "it", "is", "a"}) add(p);
    for (const auto* list : {&openings(), &fillers(), &adjectives()})
      for (const char* phrase : *list) add_phrase(phrase);
    for (const auto& a : ambiguous_words()) {
      add(a.word);
      for (const char* c : a.first_cues) add(c);
      for (const char* c : a.second_cues) add(c);
    }
  }
  std::int64_t id(const std::string& w) const {
    for (std::size_t k = 0; k < words_.size(); ++k)
      if (words_[k] == w) return static_cast<std::int64_t>(k);
    return -1;
  }
  const std::string& word(std::int64_t id) const { return words_[static_cast<std::size_t>(id)]; }
  std::int64_t size() const { return static_cast<std::int64_t>(words_.size()); }

 private:
  void add(const std::string& w) {
    if (id(w) < 0) words_.push_back(w);
  }
  void add_phrase(const std::string& phrase) {
    std::string w;
    for (char c : phrase + " ") {
      if (c == ' ') {
        if (!w.empty()) add(w);
        w.clear();
      } else {
        w += c;
      }
    }
  }
  std::vector<std::string> words_;
};

// A 64-bit LCG: the same data with every compiler and standard library.
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : state_(seed * 2862933555777941757ULL + 3037000493ULL) {}
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 33;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// `count` sentences padded to `length` tokens: ids (count, length), tags (count, length, 1)
// as sparse class ids for sparse_categorical_crossentropy, and where the ambiguous word is.
struct Dataset {
  birnn::TokenIds ids;
  birnn::Sequence<float> tags;
  std::vector<Eigen::Index> ambiguous_position;  // per sentence
};

constexpr Eigen::Index sentence_length = 14;

inline Dataset make_dataset(const Vocabulary& vocab, std::size_t count, std::uint64_t seed) {
  Lcg rng(seed);
  Dataset d;
  const auto n = static_cast<Eigen::Index>(count);
  d.ids = birnn::TokenIds::Zero(n, sentence_length);
  d.tags = birnn::Sequence<float>(n, sentence_length, 1);
  for (Eigen::Index s = 0; s < n; ++s) {
    std::vector<std::pair<std::string, int>> words;
    auto phrase = [&](const std::string& p, int tag) {
      std::string w;
      for (char c : p + " ") {
        if (c == ' ') {
          if (!w.empty()) words.emplace_back(w, tag);
          w.clear();
        } else {
          w += c;
        }
      }
    };
    const auto& a = ambiguous_words()[rng.below(ambiguous_words().size())];
    const bool first = rng.below(2) == 0;
    phrase(openings()[rng.below(openings().size())], O);
    d.ambiguous_position.push_back(static_cast<Eigen::Index>(words.size()));
    words.emplace_back(a.word, first ? a.first : a.second);
    if (rng.below(2) == 0) phrase(fillers()[rng.below(fillers().size())], O);
    phrase(". it is a", O);
    phrase(adjectives()[rng.below(adjectives().size())], O);
    const auto& cues = first ? a.first_cues : a.second_cues;
    phrase(cues[rng.below(cues.size())], O);
    for (std::size_t t = 0; t < words.size(); ++t) {
      const auto ti = static_cast<Eigen::Index>(t);
      d.ids(s, ti) = vocab.id(words[t].first);
      d.tags(s, ti, 0) = static_cast<float>(words[t].second);
    }
  }
  return d;
}

}  // namespace amazon
