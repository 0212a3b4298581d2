using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Readers;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Emulation;

/// <summary>
/// A configured reader with driver <c>emulated:KIND</c>: the readers library's real driver for that
/// kind, talking to a chip emulator instead of a bus. Cards are held to it by placing virtual cards on
/// <see cref="Rig"/>'s field (the demo, tests, the control socket's <c>place</c>).
/// </summary>
public sealed class EmulatedReaderTapSource : ITapSource, IDisposable
{
    private readonly ReaderTapSource _reader;

    public EmulatedReaderTapSource(ReaderTapSource reader, EmulatedReaderRig rig)
    {
        _reader = reader;
        Rig = rig;
    }

    /// <summary>The emulated chip, its bus and its RF field.</summary>
    public EmulatedReaderRig Rig { get; }

    public string Name => _reader.Name;

    public IReadOnlyList<CardTech> Techs => _reader.Techs;

    public Task RunAsync(ITapSink sink, CancellationToken cancellationToken) => _reader.RunAsync(sink, cancellationToken);

    public ReaderStatus Snapshot() => _reader.Snapshot();

    public void Dispose()
    {
        _reader.Dispose();
        Rig.Dispose();
    }
}

/// <summary>The reader driver <c>emulated:KIND</c>, for each kind the readers library drives (<c>emulated:pn532-i2c</c>…).</summary>
public sealed class EmulatedReaderTapSourceFactory : ITapSourceFactory
{
    public const string Prefix = "emulated:";

    public ITapSource? Create(ReaderOptions reader, TerminalOptions terminal, ILoggerFactory loggers)
    {
        if (!reader.Driver.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        string kind = reader.Driver[Prefix.Length..];
        if (!ReaderKinds.TryParse(kind, out _))
        {
            throw new TerminalConfigException("configuration", [$"Readers[{reader.Name}]:Driver: unknown reader kind '{kind}' (expected {Prefix}{string.Join(" | " + Prefix, ReaderKinds.All)})"]);
        }

        ILogger<CardReader> log = loggers.CreateLogger<CardReader>();
        EmulatedReaderRig rig = EmulatedReaderRig.Create(kind);
        try
        {
            CardReader card = rig.OpenReader(settings: ReaderTapSource.SettingsFor(terminal), logger: log);
            return new EmulatedReaderTapSource(new ReaderTapSource(reader.Name, card, log), rig);
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }
}
