#include "stats.h"

#include <charconv>

namespace loadgen {

namespace {

const Stats::Field kFields[] = {
    {"subscribers", &Stats::subscribers},
    {"connected", &Stats::connected},
    {"failed", &Stats::failed},
    {"failed_connect", &Stats::failed_connect},
    {"failed_status", &Stats::failed_status},
    {"failed_closed", &Stats::failed_closed},
    {"retries", &Stats::retries},
    {"disconnected", &Stats::disconnected},
    {"streaming_at_end", &Stats::streaming_at_end},
    {"events", &Stats::events},
    {"bytes", &Stats::bytes},
    {"expected", &Stats::expected},
    {"delivered", &Stats::delivered},
    {"gaps", &Stats::gaps},
    {"dups", &Stats::dups},
    {"bad_events", &Stats::bad_events},
};

const Stats::Field kStormFields[] = {
    {"streaming_at_drop", &Stats::storm_streaming_at_drop},
    {"back", &Stats::storm_back},
    {"gaps", &Stats::storm_gaps},
    {"dups", &Stats::storm_dups},
    {"subscribers_with_gaps", &Stats::storm_subscribers_with_gaps},
    {"subscribers_with_dups", &Stats::storm_subscribers_with_dups},
    {"replayed_events", &Stats::storm_replayed},
    {"retries", &Stats::storm_retries},
    {"failed_connect", &Stats::storm_failed_connect},
    {"failed_status", &Stats::storm_failed_status},
    {"failed_closed", &Stats::storm_failed_closed},
    {"disconnected", &Stats::storm_disconnected},
    {"behind_at_end", &Stats::storm_behind},
};

}  // namespace

std::span<const Stats::Field> Stats::fields() {
  return kFields;
}

std::span<const Stats::Field> Stats::stormFields() {
  return kStormFields;
}

void Stats::merge(const Stats& other) {
  for (const Field& field : kFields) this->*field.second += other.*field.second;
  for (const Field& field : kStormFields) this->*field.second += other.*field.second;
  if (other.measure_us > measure_us) measure_us = other.measure_us;
  if (other.storm_all_back_us > storm_all_back_us) storm_all_back_us = other.storm_all_back_us;
  if (other.storm_issue_us > storm_issue_us) storm_issue_us = other.storm_issue_us;
  if (other.storm_drop_late_us > storm_drop_late_us) storm_drop_late_us = other.storm_drop_late_us;
  latency_us.merge(other.latency_us);
  read_latency_us.merge(other.read_latency_us);
  recovery_us.merge(other.recovery_us);
  response_us.merge(other.response_us);
}

std::string Stats::serialize() const {
  std::string out;
  for (const Field& field : kFields) {
    out += field.first;
    out += "=" + std::to_string(this->*field.second) + " ";
  }
  out += "measure_us=" + std::to_string(measure_us) + " ";
  for (const Field& field : kStormFields) {
    out += field.first;
    out += "=" + std::to_string(this->*field.second) + " ";
  }
  out += "all_back_us=" + std::to_string(storm_all_back_us) + " ";
  out += "issue_us=" + std::to_string(storm_issue_us) + " ";
  out += "drop_late_us=" + std::to_string(storm_drop_late_us) + " ";
  return out + "\nlatency=" + latency_us.serialize() +
         "\nread_latency=" + read_latency_us.serialize() + "\nrecovery=" + recovery_us.serialize() +
         "\nresponse=" + response_us.serialize() + "\n";
}

namespace {

bool parseField(std::string_view* text, const char* name, uint64_t* out) {
  std::string key = std::string(name) + "=";
  if (text->substr(0, key.size()) != key) return false;
  text->remove_prefix(key.size());
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *out);
  if (ec != std::errc() || end == text->data() + text->size() || *end != ' ') return false;
  text->remove_prefix(end - text->data() + 1);
  return true;
}

}  // namespace

bool Stats::parse(std::string_view text) {
  for (const Field& field : kFields) {
    if (!parseField(&text, field.first, &(this->*field.second))) return false;
  }
  if (!parseField(&text, "measure_us", &measure_us)) return false;
  for (const Field& field : kStormFields) {
    if (!parseField(&text, field.first, &(this->*field.second))) return false;
  }
  if (!parseField(&text, "all_back_us", &storm_all_back_us)) return false;
  if (!parseField(&text, "issue_us", &storm_issue_us)) return false;
  if (!parseField(&text, "drop_late_us", &storm_drop_late_us)) return false;
  for (auto [key, histogram] : {std::pair{std::string_view("\nlatency="), &latency_us},
                                std::pair{std::string_view("\nread_latency="), &read_latency_us},
                                std::pair{std::string_view("\nrecovery="), &recovery_us},
                                std::pair{std::string_view("\nresponse="), &response_us}}) {
    if (text.substr(0, key.size()) != key) return false;
    text.remove_prefix(key.size());
    size_t end = text.find('\n');
    if (end == std::string_view::npos || !histogram->parse(text.substr(0, end))) return false;
    text.remove_prefix(end);
  }
  return true;
}

}  // namespace loadgen
