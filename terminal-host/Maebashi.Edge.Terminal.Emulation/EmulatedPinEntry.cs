using System.Device.Gpio;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Roles;

namespace Maebashi.Edge.Terminal.Emulation;

/// <summary>
/// The emulated PIN keypad, wired to the pins <c>Keypad:</c> configures (<see cref="TerminalParts.KeypadGpio"/>): the
/// terminal's real KeyMatrix scans it, and tests, the demo and the control socket's <c>keys</c> press its keys.
/// </summary>
public sealed class EmulatedKeypads
{
    /// <summary>The keypad the terminal opened; null until a terminal with <c>Keypad:</c> pins starts.</summary>
    public EmulatedKeypad? Keypad { get; private set; }

    public GpioController Open(KeypadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Keypad = new EmulatedKeypad(options.RowPins, options.ColumnPins);
        return Keypad.Gpio;
    }
}

/// <summary>
/// Control socket: <c>keys KEYS</c> — the keys (0–9, * and #) pressed on the emulated PIN keypad, in order, once the
/// terminal asks for a PIN (it waits up to 10 s for the prompt: keys pressed before it are ignored, as a patient's
/// stray presses are); answers once the keypad's scanner has seen them all. A patient's PIN: <c>keys 1234#</c>.
/// </summary>
public sealed class PressKeysCommand(EmulatedKeypads keypads) : IControlCommand
{
    /// <summary>Longer than any PIN entry needs; a bound on what a client sends.</summary>
    private const int MaxKeys = 32;

    public EmulatedKeypads Keypads { get; } = keypads;

    public string Verb => "keys";

    public string Usage => "keys KEYS";

    public bool Accepts(int argumentCount) => argumentCount == 1;

    public async ValueTask<string> RunAsync(TerminalRuntime terminal, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        string keys = arguments[0];
        if (keys.Length is 0 or > MaxKeys || keys.Any(k => !EmulatedKeypad.Layout.Contains(k, StringComparison.Ordinal)))
        {
            return $"error expected keys KEYS: 1 to {MaxKeys} of 0-9, * and #";
        }

        if (Keypads.Keypad is not { } keypad)
        {
            return "error this terminal has no keypad (configure Keypad:RowPins and Keypad:ColumnPins)";
        }

        if (!await PromptedAsync(terminal, cancellationToken))
        {
            return "error the terminal is not asking for a PIN (hold a My Number card on its reader first)";
        }

        await keypad.TypeAsync(keys, cancellationToken);
        // The count only: the keys are a PIN.
        return $"ok {keys.Length} keys pressed";
    }

    private static async Task<bool> PromptedAsync(TerminalRuntime terminal, CancellationToken cancellationToken)
    {
        var prompted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnShown(string line)
        {
            if (line.StartsWith(MyNumberPinFlow.PromptLine, StringComparison.Ordinal))
            {
                prompted.TrySetResult();
            }
        }

        terminal.Display.Shown += OnShown;
        try
        {
            OnShown(terminal.Display.Line);
            await prompted.Task.WaitAsync(PromptWait, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            terminal.Display.Shown -= OnShown;
        }
    }

    private static readonly TimeSpan PromptWait = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Control socket: <c>mynumber READER SERIALHEX PIN</c> — a personalised My Number card (a key pair, its
/// user-authentication certificate with that serial from the emulation's test JPKI CA, a 4-digit PIN with its tries
/// counter) held on an emulated reader. The same serial is the same card each time: its tries and lock carry over.
/// </summary>
public sealed class PlaceMyNumberCommand(MyNumberCards cards) : IControlCommand
{
    public string Verb => "mynumber";

    public string Usage => "mynumber READER SERIALHEX PIN";

    public bool Accepts(int argumentCount) => argumentCount == 3;

    public ValueTask<string> RunAsync(TerminalRuntime terminal, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        (string reader, string serialHex, string pin) = (arguments[0], arguments[1], arguments[2]);
        if (!Contract.Identity.Hex.TryParse(serialHex, out byte[] serial) || serial.Length is 0 or > 20 || pin is not { Length: 4 } || !pin.All(char.IsAsciiDigit))
        {
            return ValueTask.FromResult("error expected mynumber READER SERIALHEX PIN: a serial of 1 to 20 bytes in hex and a 4-digit PIN");
        }

        RfField field = terminal.Emulated(reader).Rig.Field;
        MyNumberCard card = cards.Get(serial, pin);
        field.Clear();
        field.Place(card);
        return ValueTask.FromResult($"ok my number card on {reader}, {card.PinTriesLeft} PIN tries left");
    }
}

/// <summary>Personalised My Number cards issued by one test JPKI CA, one per serial, kept so that their PIN counters last.</summary>
public sealed class MyNumberCards(JpkiTestAuthority authority, TimeProvider time)
{
    private readonly Dictionary<string, MyNumberCard> _cards = new(StringComparer.Ordinal);

    public JpkiTestAuthority Authority { get; } = authority;

    /// <summary>The card with that serial, issued on first use with <paramref name="pin"/> (a later PIN does not change it).</summary>
    public MyNumberCard Get(byte[] serial, string pin)
    {
        string key = Convert.ToHexString(serial);
        lock (_cards)
        {
            if (!_cards.TryGetValue(key, out MyNumberCard? card))
            {
                DateTimeOffset now = time.GetUtcNow();
                card = new MyNumberCard(Authority.IssueUserAuthentication(serial, now.AddDays(-1), now.AddYears(5)), pin);
                _cards[key] = card;
            }

            return card;
        }
    }
}
