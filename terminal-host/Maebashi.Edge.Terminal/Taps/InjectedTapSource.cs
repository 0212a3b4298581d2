using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal.Taps;

/// <summary>
/// A reader fed from code: the simulator, the local control socket and tests push card reads in,
/// and they go through the same pipeline as a hardware reader's.
/// </summary>
/// <remarks>
/// Once the source runs, a read goes into the pipeline on the caller's own thread: the pipeline decides
/// and records synchronously, so the verdict comes back without a hand-over to another thread (a queue
/// and a completion each cost a thread-pool hop, which on a busy two-core terminal is milliseconds).
/// Reads pushed before the source runs wait in order and are taken first.
/// </remarks>
public sealed class InjectedTapSource : ITapSource
{
    private readonly object _attach = new();
    private readonly Queue<(CardRead Read, TaskCompletionSource<TapOutcome> Done)> _early = new();
    private ITapSink? _sink;
    private CancellationToken _running;

    private long _taps;
    private string? _lastError;

    public InjectedTapSource(string name, IReadOnlyList<CardTech>? techs = null)
    {
        Name = name;
        Techs = techs ?? [CardTech.Iso14443A, CardTech.Felica, CardTech.Jpki];
    }

    public string Name { get; }

    public IReadOnlyList<CardTech> Techs { get; }

    /// <summary>Takes a read of this source's reader; completes with the outcome once the feedback is shown.</summary>
    public Task<TapOutcome> TapAsync(CardTech tech, ReadOnlyMemory<byte> uid)
    {
        var read = new CardRead(tech, uid, Name);
        ITapSink? sink;
        CancellationToken running;
        lock (_attach)
        {
            sink = _sink;
            running = _running;
            if (sink is null)
            {
                var done = new TaskCompletionSource<TapOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                _early.Enqueue((read, done));
                return done.Task;
            }
        }

        return TakeAsync(sink, read, running);
    }

    public async Task RunAsync(ITapSink sink, CancellationToken cancellationToken)
    {
        try
        {
            // The reads that came before the source ran, in order; from then on each caller takes its own.
            while (true)
            {
                (CardRead Read, TaskCompletionSource<TapOutcome> Done) early;
                lock (_attach)
                {
                    if (!_early.TryDequeue(out early))
                    {
                        _sink = sink;
                        _running = cancellationToken;
                        break;
                    }
                }

                try
                {
                    early.Done.TrySetResult(await TakeAsync(sink, early.Read, cancellationToken));
                }
                catch (Exception e)
                {
                    early.Done.TrySetException(e);
                }
            }

            // Running until stopped: the reads arrive through TapAsync.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        finally
        {
            lock (_attach)
            {
                _sink = null;
            }
        }
    }

    private async Task<TapOutcome> TakeAsync(ITapSink sink, CardRead read, CancellationToken cancellationToken)
    {
        try
        {
            TapOutcome outcome = await sink.TapAsync(read, cancellationToken);
            Interlocked.Increment(ref _taps);
            return outcome;
        }
        catch (Exception e)
        {
            _lastError = e.Message;
            throw;
        }
    }

    public ReaderStatus Snapshot() => new()
    {
        Name = Name,
        Techs = [.. Techs.Select(t => t.ToWire())],
        Healthy = true,
        LastError = _lastError,
        Taps = Interlocked.Read(ref _taps),
    };
}
