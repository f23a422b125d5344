// Saving a checkpoint is atomic: a process killed in the middle of nn::save leaves the old
// checkpoint or the new one at the path, never a partial file. A child process saves two
// different models in turn to the same path, as fast as it can, and is killed (SIGKILL) at
// random moments and while it writes its temporary file; after each kill the path must load
// cleanly and hold one of the two models exactly. The temporary files of killed saves stay next
// to it until the next save of that file removes them (docs/checkpoint-format.md): they never
// end in the checkpoint's name, and reading one gives either a whole model or an IOError.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "../nn/nn_helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {

// About 2 MB of float32 parameters: a save takes a few milliseconds (encoding, CRC-32, write,
// fsync), long enough for kills to land inside it.
std::shared_ptr<nn::Sequential> big_model(std::uint64_t seed) {
    Generator gen(seed);
    return std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(nn::LinearOptions(256, 1024), gen),
        std::make_shared<nn::Linear>(nn::LinearOptions(1024, 256), gen));
}

std::vector<std::vector<double>> values_of(const nn::Module& m) {
    std::vector<std::vector<double>> v;
    for (const auto& [name, t] : m.state()) v.push_back(t.to_vector());
    return v;
}

// Which of the two models `loaded` holds exactly: 0, 1, or -1 for neither.
int which(const std::vector<std::vector<double>>& loaded,
          const std::vector<std::vector<double>> (&models)[2]) {
    for (int k = 0; k < 2; ++k)
        if (loaded == models[k]) return k;
    return -1;
}

// Reads one byte from the pipe, waiting at most `ms` milliseconds. False on timeout or EOF.
bool read_byte(int fd, int ms) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    if (::select(fd + 1, &set, nullptr, nullptr, &tv) != 1) return false;
    char c;
    return ::read(fd, &c, 1) == 1;
}

}  // namespace

TEST_CASE("a save killed at a random moment leaves a whole checkpoint", "[serialize][atomic]") {
    TempDir tmp;
    const std::string path = tmp.file("model.npz");
    const std::shared_ptr<nn::Sequential> models[2] = {big_model(1), big_model(2)};
    const std::vector<std::vector<double>> values[2] = {values_of(*models[0]),
                                                        values_of(*models[1])};
    const bool different = values[0] != values[1];  // (not REQUIRE(a != b): 1M values to print)
    REQUIRE(different);
    nn::save(*models[0], path);  // the checkpoint a crash must never destroy

    // How long one save takes here, so that the kills are spread over whole saves.
    const auto t0 = std::chrono::steady_clock::now();
    nn::save(*models[1], tmp.file("timing.npz"));
    nn::save(*models[0], tmp.file("timing.npz"));
    const auto save_us = std::max<long>(200, std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - t0)
                                                     .count() /
                                                 2);
    ::unlink(tmp.file("timing.npz").c_str());

    std::mt19937_64 rng(20240521);
    auto net = big_model(3);
    int kills = 0, orphans = 0, seen[2] = {0, 0};
    const auto start = std::chrono::steady_clock::now();
    const auto elapsed = [&] { return std::chrono::steady_clock::now() - start; };
    // At least 12 kills and 2 s of them (at most 200); then on, up to 30 s, until the kills
    // have hit both cases below (inside a write, and either side of a rename).
    const auto more = [&] {
        if (kills < 12) return true;
        if (elapsed() < std::chrono::seconds(2)) return kills < 200;
        return elapsed() < std::chrono::seconds(30) && (orphans == 0 || !seen[0] || !seen[1]);
    };
    while (more()) {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            // Save the two models in turn, forever; after each save, one byte to the parent.
            ::close(ready[0]);
            for (unsigned i = 1;; ++i) {
                try {
                    nn::save(*models[i % 2], path);
                } catch (...) {
                    ::_exit(3);
                }
                const char c = 1;
                if (::write(ready[1], &c, 1) != 1) ::_exit(4);
            }
        }
        ::close(ready[1]);
        // Wait until the child has finished a save, so that the next one is under way. Then
        // kill it: on even rounds somewhere within the next two saves' time; on odd rounds as
        // soon as its temporary file appears, that is while it writes the new checkpoint (the
        // crash the temporary file is there for; random kills land there only now and then).
        const bool started = read_byte(ready[0], 30000);
        const std::string tmp_prefix = "model.npz.tmp-" + std::to_string(child) + "-";
        if (kills % 2 == 0) {
            std::uniform_int_distribution<long> delay(0, 2 * save_us);
            std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
        } else {
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            for (bool writing = false; !writing && std::chrono::steady_clock::now() < give_up;) {
                for (const std::string& name : tmp.list())
                    writing = writing || name.compare(0, tmp_prefix.size(), tmp_prefix) == 0;
            }
        }
        ::kill(child, SIGKILL);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        ::close(ready[0]);
        INFO("kill " << kills << ", child status " << status);
        REQUIRE(started);
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);
        ++kills;

        // The checkpoint loads, CRCs and all, and is one of the two models, bit for bit.
        nn::load(*net, path);
        const int k = which(values_of(*net), values);
        REQUIRE(k >= 0);
        ++seen[k];

        // What else is in the directory: only temporary files of the killed child, which a
        // search for the checkpoint's name or extension does not find and which read as a
        // whole model or not at all.
        for (const std::string& name : tmp.list()) {
            if (name == "model.npz") continue;
            INFO(name);
            REQUIRE(name.compare(0, tmp_prefix.size(), tmp_prefix) == 0);
            REQUIRE(name.substr(name.size() - 4) != ".npz");
            ++orphans;
            auto other = big_model(4);
            try {
                nn::load(*other, tmp.file(name));
                REQUIRE(which(values_of(*other), values) >= 0);
            } catch (const IOError& e) {
                REQUIRE(std::string(e.what()).find(tmp.file(name)) != std::string::npos);
            }
            ::unlink(tmp.file(name).c_str());
        }
    }
    std::printf(
        "atomic save: %d kills (one save takes %ld us here), %d temporary files left by killed "
        "saves, the checkpoint held model A %d times and model B %d times\n",
        kills, save_us, orphans, seen[0], seen[1]);
    // The kills did land inside saves (some left their temporary file behind) and on both
    // sides of the rename.
    CHECK(orphans > 0);
    CHECK(seen[0] > 0);
    CHECK(seen[1] > 0);
}

TEST_CASE("a save removes the temporary files its killed predecessors left",
          "[serialize][atomic]") {
    // Killed saves left their temporary files for good: 15 files, 1.5 GB, in one training run.
    // The next save of the same file removes those of that file's name pattern whose process is
    // gone and which no one holds locked, and nothing else.
    TempDir tmp;
    const std::string path = tmp.file("model.npz");
    const auto small = std::make_shared<nn::Linear>(nn::LinearOptions(2, 2));
    auto has = [&](const std::string& name) {
        const auto names = tmp.list();
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    auto touch = [&](const std::string& name) {
        write_bytes(tmp.file(name), std::vector<unsigned char>(100, 7));
        REQUIRE(has(name));
    };

    // A save killed while it writes: a child saves a 2 MB model in a loop, killed as soon as
    // its temporary file appears (until one is left behind: a kill may land after the rename).
    std::string orphan;
    const auto model = big_model(1);
    for (int attempt = 0; attempt < 50 && orphan.empty(); ++attempt) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            for (;;) {
                try {
                    nn::save(*model, path);
                } catch (...) {
                    ::_exit(3);
                }
            }
        }
        const std::string prefix = "model.npz.tmp-" + std::to_string(child) + "-";
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (bool writing = false; !writing && std::chrono::steady_clock::now() < give_up;)
            for (const std::string& name : tmp.list())
                writing = writing || name.compare(0, prefix.size(), prefix) == 0;
        ::kill(child, SIGKILL);
        REQUIRE(::waitpid(child, nullptr, 0) == child);
        for (const std::string& name : tmp.list())
            if (name.compare(0, prefix.size(), prefix) == 0) orphan = name;
    }
    REQUIRE(!orphan.empty());

    // A process that is gone (its id is free once it is reaped), and one that lives.
    const pid_t gone = ::fork();
    REQUIRE(gone >= 0);
    if (gone == 0) ::_exit(0);
    REQUIRE(::waitpid(gone, nullptr, 0) == gone);
    const pid_t alive = ::fork();
    REQUIRE(alive >= 0);
    if (alive == 0) {
        ::pause();
        ::_exit(0);
    }
    const std::string dead = std::to_string(gone), live = std::to_string(alive);
    const std::string stale = "model.npz.tmp-" + dead + "-4";
    const std::string locked = "model.npz.tmp-" + dead + "-5";
    const std::string writing = "model.npz.tmp-" + live + "-0";
    const std::string mine = "model.npz.tmp-" + std::to_string(::getpid()) + "-999";
    const std::vector<std::string> not_temporary = {
        "other.npz.tmp-" + dead + "-0",  "model.npz.tmp-" + dead + "-0.part",
        "model.npz.tmp-" + dead,         "model.npz.tmp-" + dead + "-",
        "model.npz.tmp-x" + dead + "-0", "model.npz.tmp--0",
        "xmodel.npz.tmp-" + dead + "-0", "model.npz.tmp-" + dead + "-0-1"};
    for (const std::string& name : not_temporary) touch(name);
    for (const std::string& name : {stale, locked, writing, mine}) touch(name);
    // A writer in another pid namespace would hold its file locked, its id meaning nothing here.
    const int lock_fd = ::open(tmp.file(locked).c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(lock_fd >= 0);
    REQUIRE(::flock(lock_fd, LOCK_EX) == 0);

    nn::save(*small, path);
    CHECK(!has(orphan));
    CHECK(!has(stale));
    CHECK(has(locked));
    CHECK(has(writing));
    CHECK(has(mine));  // another thread of this process may be writing it
    for (const std::string& name : not_temporary) {
        INFO(name);
        CHECK(has(name));
    }
    // Once the lock is released and the live process gone, the next save removes those too.
    ::close(lock_fd);
    ::kill(alive, SIGKILL);
    REQUIRE(::waitpid(alive, nullptr, 0) == alive);
    nn::save(*small, path);
    CHECK(!has(locked));
    CHECK(!has(writing));
    CHECK(has(mine));
    auto loaded = std::make_shared<nn::Linear>(nn::LinearOptions(2, 2));
    nn::load(*loaded, path);
    CHECK(values_of(*loaded) == values_of(*small));
}
