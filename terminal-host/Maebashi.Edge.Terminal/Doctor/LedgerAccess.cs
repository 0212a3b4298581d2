using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Doctor;

/// <summary>Opens a terminal's ledger for the technicians' verbs, also while the service runs.</summary>
public sealed class LedgerAccess : IDisposable
{
    private readonly string? _snapshotDir;

    private LedgerAccess(TapLedger ledger, string? snapshotDir)
    {
        Ledger = ledger;
        _snapshotDir = snapshotDir;
    }

    public TapLedger Ledger { get; }

    /// <summary>True when the service holds the ledger and a copy taken now is read instead.</summary>
    public bool IsSnapshot => _snapshotDir is not null;

    public static LedgerAccess Open(TerminalOptions options)
    {
        string state = options.Resolve(options.StateDirectory);
        var storage = new FileLedgerStorage(state);
        if (!File.Exists(storage.DataPath))
        {
            throw new FileNotFoundException($"no ledger in {state} (has the terminal run yet?)", storage.DataPath);
        }

        // The technicians' verbs read; they must not take sequence numbers or prune.
        var readOnly = new LedgerOptions { SeqFloorFromClock = false, Retention = TimeSpan.MaxValue / 2, MinFreeBytes = 0, MaxBytes = long.MaxValue };
        try
        {
            return new LedgerAccess(TapLedger.Open(storage, readOnly), null);
        }
        catch (LedgerInUseException)
        {
            // The service has it: every commit is on the disk, so a copy of both files is a
            // consistent ledger (an unconfirmed tail in the log is ignored when it is opened).
            string copy = Path.Combine(Path.GetTempPath(), "maebashi-ledger-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(copy);
            File.Copy(storage.DataPath, Path.Combine(copy, FileLedgerStorage.DataFileName));
            if (File.Exists(storage.LogPath))
            {
                File.Copy(storage.LogPath, Path.Combine(copy, FileLedgerStorage.LogFileName));
            }

            return new LedgerAccess(TapLedger.Open(new FileLedgerStorage(copy), readOnly), copy);
        }
    }

    public void Dispose()
    {
        Ledger.Dispose();
        if (_snapshotDir is not null)
        {
            try
            {
                Directory.Delete(_snapshotDir, recursive: true);
            }
            catch (IOException)
            {
                // A temp copy left behind is harmless.
            }
        }
    }
}
