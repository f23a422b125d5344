#pragma once
// Running external programs (gnuplot, Graphviz's dot) without a shell: the program is found on
// the PATH here and started with an argument vector, so no file name or other string given on
// the command line is ever parsed by a shell.

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

extern char** environ;

namespace example {

// The full path of the executable `name` on the PATH ("" if there is none); a name with a '/'
// is taken as it is.
inline std::string find_program(const std::string& name) {
    auto executable = [](const std::string& path) {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               ::access(path.c_str(), X_OK) == 0;
    };
    if (name.empty()) return "";
    if (name.find('/') != std::string::npos) return executable(name) ? name : "";
    const char* env = std::getenv("PATH");
    const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        const std::string dir = end > start ? path.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + name;
        if (executable(candidate)) return candidate;
        start = end + 1;
    }
    return "";
}

inline bool have_program(const std::string& name) {
    return !find_program(name).empty();
}

struct RunOptions {
    std::string input;           // written to the program's stdin (then closed)
    bool discard_stdout = true;  // stdout to /dev/null (gnuplot may dump a PNG there)
    // If set, the program's stdout and stderr are read into it instead. The input is written
    // first: for programs that read all their input before writing much.
    std::string* output = nullptr;
};

// Runs argv[0] (found on the PATH) with the arguments argv, waits for it and returns its exit
// status: 0 on success, the program's non-zero status, 128 + the signal that ended it, or -1 if
// it could not be started.
inline int run_program(const std::vector<std::string>& argv, const RunOptions& options = {}) {
    if (argv.empty()) return -1;
    const std::string program = find_program(argv[0]);
    if (program.empty()) return -1;
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    int in[2], out[2] = {-1, -1};
    if (::pipe2(in, O_CLOEXEC) != 0) return -1;
    if (options.output && ::pipe2(out, O_CLOEXEC) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    if (options.output) {
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
    } else if (options.discard_stdout) {
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    if (options.output) ::close(out[1]);
    if (spawned != 0) {
        ::close(in[1]);
        if (options.output) ::close(out[0]);
        return -1;
    }

    // A program that exits before reading all of its input must not end this one with SIGPIPE:
    // block the signal while writing, and take back one it raised before unblocking.
    sigset_t pipe_signal, old_mask;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
    const char* data = options.input.data();
    std::size_t left = options.input.size();
    bool broken = false;
    while (left > 0) {
        const ssize_t n = ::write(in[1], data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            broken = errno == EPIPE;
            break;
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    ::close(in[1]);
    if (broken) {
        const timespec no_wait{0, 0};
        sigtimedwait(&pipe_signal, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

    if (options.output) {
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(out[0], buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            options.output->append(buf, static_cast<std::size_t>(n));
        }
        ::close(out[0]);
    }

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace example
