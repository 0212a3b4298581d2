using System.Globalization;
using System.Text;
using Npgsql;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// A PostgreSQL server of its own from Debian's package, for tests, faults, benchmarks and the demo: a cluster
/// initialised in a temporary directory (trust authentication, superuser <c>postgres</c>), listening on
/// 127.0.0.1 only at a free port with its socket in that directory, fsync on. It can be stopped, killed -9
/// and started again on the same data; disposing stops it and deletes the directory.
/// </summary>
/// <remarks>
/// The postmaster runs in the foreground as a <see cref="ChildProcess"/> (not detached by <c>pg_ctl start</c>):
/// where the machine's init does not reap orphans (this VM's does not), a postmaster killed -9 after
/// <c>pg_ctl</c> detached it stays a zombie, and the next start refuses its lock file. Run as our child, it is
/// reaped, its log is kept in memory for failure messages, and readiness is its own "ready" line followed by a
/// connection that succeeds (never a sleep). As root, the server runs as the user <c>postgres</c> through
/// <c>runuser</c>: <c>initdb</c> and <c>postgres</c> refuse to run as root.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable, IDisposable
{
    public const string Superuser = "postgres";

    /// <summary>Where Debian's packages put each major version's server programs.</summary>
    public const string DebianRoot = "/usr/lib/postgresql";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    // postgres prints this (with lc_messages=C) once it accepts connections, after crash recovery too.
    private const string ReadyLine = "database system is ready to accept connections";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly string _binDir;
    private readonly bool _asPostgresUser;
    private readonly TimeSpan _timeout;
    private ChildProcess? _process;
    private string _earlierLog = "";
    private int _databases;

    private PostgresServer(string binDir, string directory, int port, bool asPostgresUser, TimeSpan timeout)
    {
        _binDir = binDir;
        Directory = directory;
        Port = port;
        _asPostgresUser = asPostgresUser;
        _timeout = timeout;
    }

    /// <summary>The temporary directory: the cluster's data in <c>data/</c>, the Unix socket beside it.</summary>
    public string Directory { get; }

    public string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server wrote, over all its runs, for test failure messages.</summary>
    public string Log => _earlierLog + _process?.Log;

    /// <summary>The maintenance database as the superuser, unpooled (for creating databases, not for stores).</summary>
    private string AdminConnectionString => ConnectionString("postgres", pooling: false);

    /// <summary>
    /// The directory of <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>: <c>pg_config --bindir</c>, else the highest
    /// version under <see cref="DebianRoot"/>; null when PostgreSQL is not installed.
    /// </summary>
    public static string? FindBinDir()
    {
        try
        {
            ProcessResult r = ProcessRunner.Run("pg_config", ["--bindir"], TimeSpan.FromSeconds(10));
            if (r.Exit == 0 && HasServerPrograms(r.Out.Trim()))
            {
                return r.Out.Trim();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on PATH (it comes with libpq-dev): look where Debian installs the server.
        }

        if (!System.IO.Directory.Exists(DebianRoot))
        {
            return null;
        }

        return System.IO.Directory.EnumerateDirectories(DebianRoot)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: decimal.TryParse(Path.GetFileName(d), NumberStyles.Number, CultureInfo.InvariantCulture, out decimal v) ? v : -1))
            .Where(c => c.Version >= 0 && HasServerPrograms(c.Dir))
            .OrderByDescending(c => c.Version)
            .Select(c => c.Dir)
            .FirstOrDefault();
    }

    /// <summary>Initialises a cluster in a new temporary directory and starts it.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed, or the cluster did not start (the message says why).</exception>
    public static async Task<PostgresServer> StartAsync(TimeSpan? timeout = null)
    {
        string binDir = FindBinDir() ?? throw new InvalidOperationException(
            $"PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found: not in `pg_config --bindir`, nor in {DebianRoot}/*/bin. " +
            "Install Debian's postgresql package (./test does: apt-get install postgresql).");
        bool asPostgresUser = Environment.UserName == "root";
        if (asPostgresUser && ProcessRunner.Run("id", ["-u", Superuser], TimeSpan.FromSeconds(10)).Exit != 0)
        {
            throw new InvalidOperationException(
                $"running as root, the test server must run as the user {Superuser} (initdb refuses root), and there is no such user: install Debian's postgresql package, which creates it.");
        }

        string dir = System.IO.Directory.CreateTempSubdirectory("maebashi-pg-").FullName;
        var server = new PostgresServer(binDir, dir, LoopbackPorts.Free(), asPostgresUser, timeout ?? DefaultTimeout);
        try
        {
            if (asPostgresUser)
            {
                server.RunToEnd("chown", [Superuser + ":", dir]);
            }

            // --no-sync: only initdb's own files skip fsync (a killed process loses nothing the kernel holds);
            // the server runs with fsync on. C messages: the ready line is read in English whatever the machine's locale.
            server.RunToEnd(Path.Combine(binDir, "initdb"),
                ["-D", server.DataDirectory, "--auth=trust", "-U", Superuser, "-E", "UTF8", "--no-locale", "--no-sync"], server.AsServerUser);
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>(Re)starts the server on its data (crash recovery after <see cref="Kill"/>) and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the PostgreSQL test server is already running");
        }

        if (_process is not null)
        {
            _earlierLog += _process.Log + "\n";
            _process.Dispose();
        }

        (string file, string[] args) = AsServerUser(Path.Combine(_binDir, "postgres"),
        [
            "-D", DataDirectory,
            "-h", "127.0.0.1",
            "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-k", Directory,
            // Durability is under test (kill -9 and restart of the server): never relaxed here.
            "-c", "fsync=on",
            "-c", "synchronous_commit=on",
            // After a kill -9 the server syncs its data directory before recovery: by default one fsync per file of
            // every test database (over a minute on a busy machine once the suite has made its databases); syncfs
            // syncs the file system in one call, with the same guarantee.
            "-c", "recovery_init_sync_method=syncfs",
            "-c", "lc_messages=C",
            // One server serves every test class of an assembly, each with its stores' pools.
            "-c", "max_connections=200",
        ]);
        _process = ChildProcess.Start("postgres", file, args, new ProcessOptions { WorkingDirectory = Directory });
        try
        {
            await _process.WaitForLineAsync(l => l.Contains(ReadyLine, StringComparison.Ordinal), _timeout);
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
        }
        catch (Exception e) when (e is TimeoutException or NpgsqlException)
        {
            throw new InvalidOperationException($"the PostgreSQL test server did not become ready on 127.0.0.1:{Port}: {e.Message}\n{Log}", e);
        }
    }

    /// <summary>A fast shutdown (clients disconnected, a checkpoint written), waited for.</summary>
    public async Task StopAsync() => await ShutdownAsync("fast");

    /// <summary>kill -9 of the postmaster and every server process at once: no shutdown, no checkpoint; the next start recovers.</summary>
    public void Kill()
    {
        if (!IsRunning || ReadPostmasterPid() is not { } postmaster)
        {
            _process?.KillHard();
            return;
        }

        // Frozen first, so that it forks no backend between listing its children and killing them.
        RunToEnd("kill", ["-STOP", postmaster.ToString(CultureInfo.InvariantCulture)]);
        var pids = new List<int> { postmaster };
        pids.AddRange(ChildrenOf(postmaster));
        RunToEnd("kill", ["-KILL", "--", .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);

        // As root the child is runuser, which reaps the postmaster and ends; otherwise it is the postmaster itself.
        // runuser stops itself when its child stops (as a shell's job would): it is continued to see the child's end.
        if (_process!.Pid != postmaster)
        {
            RunToEnd("kill", ["-CONT", _process.Pid.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!_process.Process.WaitForExit(StopTimeout))
        {
            _process.KillHard();
        }

        // A killed backend still in the kernel (a write or fsync under way) keeps the shared memory attached until it
        // is gone, and a postmaster started before then refuses to start ("pre-existing shared memory block is still
        // in use"): every killed process is waited for, not only the postmaster.
        foreach (int pid in pids)
        {
            if (!ProcessExit.WaitFor(pid, StopTimeout))
            {
                throw new TimeoutException($"PostgreSQL's process {pid} did not end within {StopTimeout.TotalSeconds:0} s of kill -9");
            }
        }
    }

    /// <summary>Creates an empty database for one test class (or one test) and returns how to reach it.</summary>
    /// <param name="hint">Part of the database's name, for reading the server's log (letters, digits and _ are kept).</param>
    public async Task<PostgresDatabase> CreateDatabaseAsync(string hint = "test")
    {
        string name = DatabaseName(hint, Interlocked.Increment(ref _databases));
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new PostgresDatabase(name, $"postgresql://{Superuser}@127.0.0.1:{Port}/{name}", ConnectionString(name, pooling: true));
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            // Immediate: the data is deleted next, nothing to checkpoint.
            await ShutdownAsync("immediate");
        }

        _process?.Dispose();
        DeleteDirectory();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static bool HasServerPrograms(string dir) =>
        new[] { "initdb", "pg_ctl", "postgres" }.All(p => File.Exists(Path.Combine(dir, p)));

    /// <summary>A PostgreSQL identifier: lower-case letters, digits and _, at most 63 bytes, unique by its number.</summary>
    private static string DatabaseName(string hint, int number)
    {
        var b = new StringBuilder();
        foreach (char c in hint.ToLowerInvariant())
        {
            b.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        string suffix = "_" + number.ToString(CultureInfo.InvariantCulture);
        string stem = b.Length == 0 ? "test" : b.ToString();
        return "t_" + stem[..Math.Min(stem.Length, 63 - 2 - suffix.Length)] + suffix;
    }

    /// <summary>Processes whose parent is <paramref name="pid"/> (the postmaster's backends and auxiliaries).</summary>
    private static IEnumerable<int> ChildrenOf(int pid)
    {
        foreach (string dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int candidate))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // Ended while we looked.
            }

            // pid (comm) state ppid …: comm may hold spaces and parentheses, so fields count from the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int parent) && parent == pid)
            {
                yield return candidate;
            }
        }
    }

    private string ConnectionString(string database, bool pooling) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = database,
        Pooling = pooling,
    }.ConnectionString;

    private async Task ShutdownAsync(string mode)
    {
        if (!IsRunning)
        {
            return;
        }

        (string file, string[] args) = AsServerUser(Path.Combine(_binDir, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", mode, "-w"]);
        ProcessResult r = await ProcessRunner.RunAsync(file, args, StopTimeout, new ProcessOptions { WorkingDirectory = Directory });
        try
        {
            await _process!.WaitForExitAsync(StopTimeout);
        }
        catch (TimeoutException)
        {
            _process!.KillHard();
            throw new InvalidOperationException($"the PostgreSQL test server did not stop ({mode}): pg_ctl said {r.Out}{r.Err}\n{Log}");
        }
    }

    private int? ReadPostmasterPid()
    {
        try
        {
            string first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault() ?? "";
            return int.TryParse(first.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The command line that runs a server program as the user that owns the cluster.</summary>
    private (string File, string[] Args) AsServerUser(string program, string[] args) =>
        _asPostgresUser ? ("runuser", ["-u", Superuser, "--", program, .. args]) : (program, args);

    private void RunToEnd(string program, string[] args, Func<string, string[], (string, string[])>? wrap = null)
    {
        (string file, string[] argv) = wrap?.Invoke(program, args) ?? (program, args);
        ProcessResult r = ProcessRunner.Run(file, argv, _timeout, new ProcessOptions { WorkingDirectory = Directory });
        if (r.Exit != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed with {r.Exit}: {r.Err}{r.Out}");
        }
    }

    private void DeleteDirectory()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}

/// <summary>
/// One database of a <see cref="PostgresServer"/>: <paramref name="Uri"/> is the form <c>ingest run --store</c> takes
/// (<c>postgresql://postgres@127.0.0.1:PORT/DB</c>), <paramref name="ConnectionString"/> the same for Npgsql.
/// </summary>
public sealed record PostgresDatabase(string Name, string Uri, string ConnectionString);
