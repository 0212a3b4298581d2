using System.Threading.Channels;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal.Taps;

/// <summary>
/// A reader fed from code: the simulator, the local control socket and tests push card reads in,
/// and they go through the same pipeline as a hardware reader's.
/// </summary>
public sealed class InjectedTapSource : ITapSource
{
    private readonly Channel<(CardRead Read, TaskCompletionSource<TapOutcome>? Done)> _reads =
        Channel.CreateUnbounded<(CardRead, TaskCompletionSource<TapOutcome>?)>(new UnboundedChannelOptions { SingleReader = true });

    private long _taps;
    private string? _lastError;

    public InjectedTapSource(string name, IReadOnlyList<CardTech>? techs = null)
    {
        Name = name;
        Techs = techs ?? [CardTech.Iso14443A, CardTech.Felica, CardTech.Jpki];
    }

    public string Name { get; }

    public IReadOnlyList<CardTech> Techs { get; }

    /// <summary>Queues a read of this source's reader; completes with the outcome once the feedback is shown.</summary>
    public Task<TapOutcome> TapAsync(CardTech tech, ReadOnlyMemory<byte> uid)
    {
        var done = new TaskCompletionSource<TapOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_reads.Writer.TryWrite((new CardRead(tech, uid, Name), done)))
        {
            done.SetException(new InvalidOperationException($"reader {Name} is stopped"));
        }

        return done.Task;
    }

    public async Task RunAsync(ITapSink sink, CancellationToken cancellationToken)
    {
        await foreach ((CardRead read, TaskCompletionSource<TapOutcome>? done) in _reads.Reader.ReadAllAsync(cancellationToken))
        {
            try
            {
                TapOutcome outcome = await sink.TapAsync(read, cancellationToken);
                Interlocked.Increment(ref _taps);
                done?.TrySetResult(outcome);
            }
            catch (Exception e)
            {
                _lastError = e.Message;
                done?.TrySetException(e);
            }
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
