#include "messagelog/archiver.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <tuple>

#include <fcntl.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/files.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "messagelog/archive.h"
#include "messagelog/container.h"

namespace roadside::messagelog {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
namespace fs = std::filesystem;

Error io_error(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

// A program's stderr for an error's detail: without its last line end.
std::string words_of(std::string err) {
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  return err;
}

// What the state table calls the archive a group's round is writing (see the file comment).
std::string pending_key(std::string_view group) {
  return "archive_pending:" + std::string(group);
}

std::string group_of(const StoredRecord& r, ArchiveGrouping g) {
  switch (g) {
    case ArchiveGrouping::none:
      return {};
    case ArchiveGrouping::member:
      return r.member_group;
    case ArchiveGrouping::subsystem:
      return r.subsystem_group;
  }
  return {};
}

// X-Road orders a batch by member class, member code and subsystem code, then by id.
std::array<std::string, 3> order_of(std::string_view subsystem_group) {
  std::array<std::string, 4> parts;  // instance, class, code, subsystem
  std::size_t i = 0;
  for (char c : subsystem_group) {
    if (c == '/' && i + 1 < parts.size()) {
      ++i;
    } else {
      parts[i] += c;
    }
  }
  return {parts[1], parts[2], parts[3]};
}

std::string yyyymmddhhmmss(TimePoint t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss hms(secs - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02d%02d%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// The first `max` UTF-16 code units of a UTF-8 string (Java's "%.200s"), never splitting a
// character; bytes that are not UTF-8 count one each.
std::string utf16_prefix(std::string_view s, std::size_t max) {
  std::size_t units = 0, i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    const std::size_t take = std::min(len, s.size() - i);
    const std::size_t cost = take == 4 ? 2 : 1;
    if (units + cost > max) break;
    units += cost;
    i += take;
  }
  return std::string(s.substr(0, i));
}

// LogArchiveWriter.escape: NUL, \ < > / : | * ? and control characters become "_".
std::string escape_group(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || std::string_view("\\<>/:|*?").find(static_cast<char>(c)) != std::string_view::npos) {
      out += '_';
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      out += '_';  // U+0080..U+009F, the C1 controls
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// What write_file_atomically leaves behind when the process dies while it writes:
// "<archive name>.XXXXXX".
bool is_stale_temporary(const std::string& name) {
  if (!name.starts_with("mlog-") || name.size() < 7 || name[name.size() - 7] != '.') return false;
  const std::string_view base = std::string_view(name).substr(0, name.size() - 7);
  return base.ends_with(".zip") || base.ends_with(".zip.gpg");
}

Status fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + dir.string());
  const int r = ::fsync(fd);
  ::close(fd);
  if (r != 0) return io_error("cannot flush " + dir.string());
  return {};
}

// Removes an archive no commit went through (see the file comment).
void remove_uncommitted(const fs::path& dir, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return;
  std::error_code ec;
  if (fs::remove(dir / name, ec)) {
    (void)fsync_dir(dir);
    log::warn("removed a message-log archive whose records were not marked archived; they are archived again",
              {{"file", (dir / name).string()}});
  }
}

}  // namespace

Result<ArchiveGrouping> parse_archive_grouping(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "none") return ArchiveGrouping::none;
  if (t == "member") return ArchiveGrouping::member;
  if (t == "subsystem") return ArchiveGrouping::subsystem;
  return Error(make_error_code(base::errc::invalid_argument),
               "archive grouping \"" + std::string(text) + "\" is not one of none, member, subsystem");
}

EncryptionKeys parse_encryption_keys(std::string_view text) {
  EncryptionKeys keys;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; };
  auto trim = [&](std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
  };
  int number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    // Lines end at \n, \r\n or \r (Java's readAllLines).
    std::size_t end = text.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (end < text.size() && text[end] == '\r' && at < text.size() && text[at] == '\n') ++at;
    ++number;
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    // The first "=" not escaped with a backslash splits the line.
    std::size_t split = std::string_view::npos;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '=' && (i == 0 || line[i - 1] != '\\')) {
        split = i;
        break;
      }
    }
    if (split == std::string_view::npos) {
      keys.ignored.push_back(number);
      continue;
    }
    const std::string_view member = trim(line.substr(0, split));
    const std::string_view key = trim(line.substr(split + 1));
    if (member.empty() || key.empty()) {
      keys.ignored.push_back(number);
      continue;
    }
    std::string id;
    for (std::size_t i = 0; i < member.size(); ++i) {
      if (member[i] == '\\' && i + 1 < member.size() && (member[i + 1] == '=' || member[i + 1] == '#')) continue;
      id += member[i];
    }
    keys.members[id].insert(std::string(key));
  }
  return keys;
}

std::string archive_file_name(std::string_view group, TimePoint first, TimePoint last, std::string_view last_digest,
                              bool encrypted) {
  const std::string prefix = group.empty() ? std::string() : utf16_prefix(escape_group(group) + "-", 200);
  return "mlog-" + prefix + yyyymmddhhmmss(first) + "-" + yyyymmddhhmmss(last) + "-" +
         std::string(last_digest.substr(0, 16)) + (encrypted ? ".zip.gpg" : ".zip");
}

Archiver::Archiver(LogStore& store, ArchiverOptions options, const Clock& clock)
    : store_(store), options_(std::move(options)), clock_(clock) {}

Result<ArchiveRound> Archiver::run() {
  auto round = archive_all();
  store_.release_batch();  // the store lives until the next round
  return round;
}

Result<ArchiveRound> Archiver::archive_all() {
  const fs::path& dir = options_.directory;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec))
    return io_error("the message-log archive path " + dir.string() + " is not a directory");
  if (::access(dir.c_str(), W_OK) != 0)
    return io_error("the message-log archive path " + dir.string() + " is not writable");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (is_stale_temporary(entry.path().filename().string())) fs::remove(entry.path(), ec);
  }

  // Records logged after the round began wait for the next one: a busy server cannot keep
  // a round going.
  const TimePoint began = clock_.now();
  constexpr std::size_t kPage = 200;
  ArchiveRound round;
  std::set<std::string, std::less<>> failed;
  std::int64_t after = 0;
  auto cancelled = [this] { return options_.cancelled && options_.cancelled->load(); };
  for (bool more = true; more && !cancelled();) {
    struct Entry {
      std::array<std::string, 3> order;
      std::int64_t id;
      std::string group;
    };
    std::vector<Entry> batch;
    while (batch.size() < options_.batch) {
      const std::size_t want = std::min(kPage, options_.batch - batch.size());
      ROADSIDE_TRY(auto page, store_.archivable(after, want));
      for (std::size_t i = 0; i < page.size() && more; ++i) {
        const StoredRecord& r = page[i];
        if (r.time >= began) {
          more = false;
          break;
        }
        after = r.id;
        std::string group = group_of(r, options_.grouping);
        if (failed.count(group)) continue;
        batch.push_back({order_of(r.subsystem_group), r.id, std::move(group)});
      }
      if (page.size() < want) more = false;
      if (!more) break;
    }
    std::sort(batch.begin(), batch.end(),
              [](const Entry& a, const Entry& b) { return std::tie(a.order, a.id) < std::tie(b.order, b.id); });
    // The batch's groups, each in the batch's order: the first record of a group places it.
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::int64_t>, std::less<>> ids;
    for (const auto& e : batch) {
      auto& list = ids[e.group];
      if (list.empty()) groups.push_back(e.group);
      list.push_back(e.id);
    }
    for (const auto& group : groups) {
      if (cancelled()) break;
      if (auto st = archive_group(group, ids[group], round); !st.ok()) {
        Error e = st.error();
        e.context(group.empty() ? "archiving the message log" : "archiving the message log of " + group);
        log::error("message-log archiving failed", {{"group", group}, {"error", e.detail()}});
        round.failures.push_back(std::move(e));
        failed.insert(group);
      }
    }
  }
  return round;
}

// One group's records of a batch, in archives of about max_file_size each.
Status Archiver::archive_group(const std::string& group, const std::vector<std::int64_t>& ids, ArchiveRound& round) {
  ROADSIDE_TRY_STATUS(resolve_pending(group));
  ROADSIDE_TRY(std::optional<LogStore::ArchiveLink> link, store_.archive_link(group));
  Open open;
  for (const std::int64_t id : ids) {
    ROADSIDE_TRY(auto record, store_.record(id));
    if (!record || record->archived) continue;
    ROADSIDE_TRY(AsicContainer container, container_of(store_, *record, options_.max_container_bytes));
    ROADSIDE_TRY(std::string bytes, container.write());
    open.bytes += bytes.size();
    open.containers.push_back(
        {asic_file_name(record->query_id, record->response, record->id), std::move(bytes), record->time});
    open.ids.push_back(id);
    if (!open.first || record->time < *open.first) open.first = record->time;
    if (!open.last || record->time > *open.last) open.last = record->time;
    // X-Road rotates once the containers pass the size, after the one that passed it.
    if (open.bytes > options_.max_file_size) {
      ROADSIDE_TRY_STATUS(write_one(group, link, open, round));
      open = Open();
      if (options_.cancelled && options_.cancelled->load()) return {};
    }
  }
  if (!open.ids.empty()) ROADSIDE_TRY_STATUS(write_one(group, link, open, round));
  return {};
}

Status Archiver::write_one(const std::string& group, std::optional<LogStore::ArchiveLink>& link, Open& open,
                           ArchiveRound& round) {
  ROADSIDE_TRY(WrittenArchive zip, write_archive(open.containers, link ? link->digest : std::string(),
                                                 link ? link->file_name : std::string()));
  open.containers.clear();  // their bytes are in the zip now
  const bool encrypted = options_.encryption.has_value();
  const std::string name = archive_file_name(group, *open.first, *open.last, zip.last_digest, encrypted);
  std::string bytes = std::move(zip.zip);
  if (encrypted) {
    ROADSIDE_TRY(bytes, encrypt(group, bytes));
  }
  const fs::path file = options_.directory / name;
  ROADSIDE_TRY_STATUS(store_.set_state(pending_key(group), name));
  ROADSIDE_TRY_STATUS(write_file_atomically(file, bytes));
  const LogStore::ArchiveLink next{zip.last_digest, name};
  ROADSIDE_TRY(const bool moved, store_.commit_archive(group, link, next, open.ids));
  if (!moved) {
    ROADSIDE_TRY(auto now, store_.archive_link(group));
    if (!now || now->file_name != name) remove_uncommitted(options_.directory, name);
    (void)store_.clear_state(pending_key(group));
    return io_error("the archive chain moved while " + name +
                    " was written (another node archives the message log too?); its records wait for the next round");
  }
  (void)store_.clear_state(pending_key(group));  // left behind, the next round finds the link names it
  link = next;
  round.files.push_back(file);
  round.records += open.ids.size();
  log::info("message-log archive written",
            {{"file", file.string()}, {"records", open.ids.size()}, {"bytes", bytes.size()}});
  transfer(file, round);
  return {};
}

Status Archiver::resolve_pending(const std::string& group) {
  ROADSIDE_TRY(auto pending, store_.state(pending_key(group)));
  if (!pending) return {};
  ROADSIDE_TRY(auto link, store_.archive_link(group));
  if (!link || link->file_name != *pending) remove_uncommitted(options_.directory, *pending);
  return store_.clear_state(pending_key(group));
}

Result<MemberArchiveKeys> member_archive_keys(const ArchiveEncryption& enc, std::string_view member) {
  MemberArchiveKeys out;
  std::error_code ec;
  if (!enc.keys_config.empty() && fs::exists(enc.keys_config, ec)) {
    ROADSIDE_TRY(std::string text, read_file_limited(enc.keys_config, 1 << 20));
    const EncryptionKeys map = parse_encryption_keys(text);
    if (auto it = map.members.find(member); it != map.members.end() && !it->second.empty()) {
      out.keys.assign(it->second.begin(), it->second.end());
      out.default_used = false;
      return out;
    }
  }
  if (!enc.default_key.empty()) out.keys.push_back(enc.default_key);
  return out;
}

Result<std::vector<std::string>> Archiver::recipients(const std::string& group) const {
  const ArchiveEncryption& enc = *options_.encryption;
  // Per-member keys when grouped (a subsystem's archives use its member's).
  if (options_.grouping != ArchiveGrouping::none) {
    const auto order = order_of(group);
    ROADSIDE_TRY(MemberArchiveKeys keys,
                 member_archive_keys(enc, group.substr(0, group.find('/')) + "/" + order[0] + "/" + order[1]));
    return std::move(keys.keys);
  }
  std::vector<std::string> keys;
  if (!enc.default_key.empty()) keys.push_back(enc.default_key);
  return keys;
}

Result<std::string> Archiver::encrypt(const std::string& group, const std::string& zip) const {
  const ArchiveEncryption& enc = *options_.encryption;
  ROADSIDE_TRY(const std::vector<std::string> keys, recipients(group));
  // GPGOutputStream's arguments: sign with the home's key, encrypt to the member's keys (or
  // the home's own key), no compression (a zip of zips), AES-256, SHA-256.
  ProcessSpec spec;
  spec.argv = {enc.gpg.string(),
               "--homedir",
               enc.gpg_home.string(),
               "--batch",
               "--no-tty",
               "--yes",
               "--encrypt",
               "--sign",
               "--no-auto-key-locate",
               "--trust-model",
               "always",
               "--compress-algo",
               "none",
               "--cipher-algo",
               "AES-256",
               "--digest-algo",
               "SHA256",
               "--output",
               "-"};
  if (keys.empty()) spec.argv.emplace_back("--default-recipient-self");
  for (const auto& k : keys) {
    spec.argv.emplace_back("--recipient");
    spec.argv.push_back(k);
  }
  spec.input = zip;
  spec.unset_env = options_.secret_env;
  spec.timeout = enc.timeout;
  spec.max_stdout = zip.size() + zip.size() / 8 + (1 << 20);
  ROADSIDE_TRY(ProcessOutcome out, run_process(spec));
  const std::string err = words_of(out.err);
  if (out.status != 0)
    return io_error("gpg could not encrypt the archive (exit " + std::to_string(out.status) + "): " + err);
  if (out.stdout_cut || out.out.empty()) return io_error("gpg wrote no usable output: " + err);
  return std::move(out.out);
}

void Archiver::transfer(const fs::path& file, ArchiveRound& round) {
  auto failed = [&](Error e) {
    log::error("message-log archive transfer failed", {{"file", file.string()}, {"error", e.detail()}});
    round.transfer_failures.push_back(std::move(e));
  };
  if (!options_.transfer_command.empty()) {
    ProcessSpec spec;
    spec.argv = {options_.shell.string(), "-c", options_.transfer_command};
    spec.cwd = options_.directory;
    spec.env = {{"ROADSIDE_ARCHIVE_FILE", file.string()}};
    spec.unset_env = options_.secret_env;
    spec.timeout = options_.transfer_timeout;
    auto done = run_process(spec);
    if (!done.ok()) {
      failed(std::move(done).error());
    } else if (done->status != 0) {
      failed(io_error("the archive transfer command \"" + options_.transfer_command + "\" exited with status " +
                      std::to_string(done->status) + (done->err.empty() ? std::string() : ": " + words_of(done->err))));
    }
  }
  if (options_.transfer) {
    if (auto st = options_.transfer(file); !st.ok()) failed(st.error());
  }
}

Result<std::size_t> clean_archived(LogStore& store, TimePoint before, std::size_t batch) {
  std::size_t total = 0;
  while (true) {
    ROADSIDE_TRY(const std::size_t n, store.delete_archived_before(before, batch));
    total += n;
    if (n < batch) return total;
  }
}

}  // namespace roadside::messagelog
