using LiteDB;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// When the ledger copies LiteDB's log into its data file. LiteDB would do it inside whichever commit crosses the
/// size, often a tap's, which then waits for the log to be copied and synced; the ledger turns that off and
/// checkpoints here instead: as background work between taps once the log holds <see cref="LedgerOptions.CheckpointPages"/>,
/// and inside a commit only when the log reached <see cref="InlineFactor"/> times that (taps back to back for that long).
/// </summary>
internal sealed class LedgerCheckpoints
{
    /// <summary>LiteDB's page size.</summary>
    private const int PageBytes = 8192;

    /// <summary>The log is checkpointed inside a tap's commit only once it holds this many times its size.</summary>
    public const int InlineFactor = 4;

    private readonly LiteDatabase _db;
    private readonly Stream _log;
    private readonly TapPriorityLock _lock;
    private readonly LedgerOptions _options;
    private readonly ILogger _logger;
    private readonly Action<Action> _background;
    private readonly Func<bool> _closed;

    // 1 while a background checkpoint is queued or running.
    private int _queued;

    /// <param name="background">Runs the background checkpoint; the thread pool by default (a power-cut proof runs it in place).</param>
    /// <param name="closed">Whether the ledger was disposed meanwhile (a queued checkpoint then does nothing).</param>
    public LedgerCheckpoints(LiteDatabase db, Stream log, TapPriorityLock @lock, LedgerOptions options, ILogger logger, Action<Action>? background, Func<bool> closed)
    {
        _db = db;
        _log = log;
        _lock = @lock;
        _options = options;
        _logger = logger;
        _background = background ?? (static work => ThreadPool.UnsafeQueueUserWorkItem(static w => w(), work, preferLocal: false));
        _closed = closed;
    }

    /// <summary>Pages in LiteDB's log (what the next checkpoint copies into the data file).</summary>
    public long LogPages()
    {
        try
        {
            return _log.Length / PageBytes;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>Queues a checkpoint once the log is due one: it takes the lock between taps, like ack marks, so no passenger waits for it.</summary>
    public void SoonIfDue()
    {
        if (LogPages() < _options.CheckpointPages || Interlocked.Exchange(ref _queued, 1) == 1)
        {
            return;
        }

        _background(InBackground);
    }

    /// <summary>Inside a commit (under the ledger's lock): checkpoints now only when the log is far past due.</summary>
    public void InlineIfOverdue()
    {
        if (LogPages() >= (long)_options.CheckpointPages * InlineFactor)
        {
            _db.Checkpoint();
        }
    }

    private void InBackground()
    {
        try
        {
            using (_lock.ForBackground())
            {
                if (!_closed() && LogPages() >= _options.CheckpointPages)
                {
                    _db.Checkpoint();
                }
            }
        }
        catch (Exception e) when (e is IOException or LiteException or ObjectDisposedException)
        {
            // The log stays as it is and is copied by the next checkpoint; nothing committed is lost.
            _logger.LogWarning(e, "Ledger checkpoint failed");
        }
        finally
        {
            Volatile.Write(ref _queued, 0);
        }
    }
}
