using System.Globalization;
using System.Security.Cryptography;
using Maebashi.Edge.Readers;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Feedback;
using Maebashi.Edge.Terminal.PinEntry;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// What a patient with a My Number card sees at clinic reception, and the PIN they type: the prompt with the card's
/// tries left, four digits on the keypad (<c>*</c> clears, <c>#</c> confirms), a new prompt after a wrong PIN while
/// tries are left, the lock message, a time-out. The PIN lives in one 4-byte buffer, wiped when the attempt is over; it
/// is never shown (dots stand for the digits), logged or stored. A wrong PIN records nothing: the card itself counts the
/// tries, and the patient may try again while the card stays on the reader.
/// </summary>
public sealed class MyNumberPinFlow
{
    private readonly IKeypad _keypad;
    private readonly KeypadOptions _options;
    private readonly TerminalFeedback _feedback;
    private readonly ILogger _log;

    internal MyNumberPinFlow(IKeypad keypad, KeypadOptions options, TerminalFeedback feedback, ILogger log)
    {
        _keypad = keypad;
        _options = options;
        _feedback = feedback;
        _log = log;
    }

    public const string PromptLine = "暗証番号（4桁）を入力してください / Enter your PIN (4 digits)";
    public const string LockedLine = "暗証番号がロックされています 市区町村窓口で再設定 / PIN locked: reset it at your city office";
    public const string TimedOutLine = "時間切れです もう一度タッチしてください / Timed out — please tap your card again";
    public const string NoKeypadLine = "この端末では暗証番号を入力できません 受付窓口へ / This terminal cannot take a My Number PIN — please see reception";
    public const string TapAgainLine = "もう一度タッチしてください / Please tap again";

    private const int PinLength = 4;

    /// <summary>The prompt with the tries left, after a wrong PIN if there was one, and a dot per digit typed.</summary>
    public static string Prompt(int triesLeft, bool afterWrongPin, int typed)
    {
        string left = string.Create(CultureInfo.InvariantCulture, $"{triesLeft} {(triesLeft == 1 ? "try" : "tries")} left");
        string tries = afterWrongPin
            ? string.Create(CultureInfo.InvariantCulture, $"暗証番号が違います 残り{triesLeft}回 / Wrong PIN: {left}")
            : string.Create(CultureInfo.InvariantCulture, $"残り{triesLeft}回 / {left}");
        return $"{PromptLine} — {tries} {new string('●', typed)}{new string('○', PinLength - typed)}";
    }

    /// <summary>
    /// Runs the PIN flow on <paramref name="card"/>: <paramref name="checkIn"/> gets each PIN typed and records the
    /// check-in (the card signs inside it) or throws <see cref="JpkiPinRefusedException"/>. Returns the outcome to show.
    /// </summary>
    internal async ValueTask<TapOutcome> RunAsync(JpkiCard card, Func<byte[], TapOutcome> checkIn, CancellationToken cancellationToken)
    {
        int tries;
        try
        {
            tries = card.ReadPinTriesLeft();
        }
        catch (CardIOException e) when (e.Rejected)
        {
            _log.LogWarning("My Number PIN flow not possible on this reader: {Reason}", e.Message);
            return Refused(NoKeypadLine);
        }
        catch (IOException e) when (e is CardIOException or ReaderIOException)
        {
            _log.LogInformation("My Number card: tries left not read ({Reason})", e.Message);
            return Refused(TapAgainLine);
        }

        bool afterWrongPin = false;
        byte[] pin = new byte[PinLength];
        try
        {
            while (true)
            {
                if (tries == 0)
                {
                    return Refused(LockedLine);
                }

                if (!await TypePinAsync(pin, tries, afterWrongPin, cancellationToken))
                {
                    return Refused(TimedOutLine);
                }

                try
                {
                    return checkIn(pin);
                }
                catch (JpkiPinRefusedException e)
                {
                    // Counted by the card; the patient sees what is left and may try again.
                    _log.LogInformation("My Number card refused the PIN: {TriesLeft} tries left", e.TriesLeft);
                    tries = e.TriesLeft;
                    afterWrongPin = true;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pin);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }

    /// <summary>Fills <paramref name="pin"/> with 4 ASCII digits confirmed by '#'; false when a key did not come in time.</summary>
    private async ValueTask<bool> TypePinAsync(byte[] pin, int tries, bool afterWrongPin, CancellationToken cancellationToken)
    {
        _keypad.Discard();
        int typed = 0;
        while (true)
        {
            // The wait (and its time-out) starts before the prompt shows: what the patient sees is already counted.
            ValueTask<char?> next = _keypad.ReadKeyAsync(_options.KeyTimeout, cancellationToken);
            _feedback.Display.Show(Prompt(tries, afterWrongPin, typed));
            char? key = await next;
            switch (key)
            {
                case null:
                    CryptographicOperations.ZeroMemory(pin);
                    return false;
                case '#' when typed == PinLength:
                    return true;
                case '*':
                    CryptographicOperations.ZeroMemory(pin);
                    typed = 0;
                    break;
                case >= '0' and <= '9' when typed < PinLength:
                    pin[typed++] = (byte)key.Value;
                    break;
                default:
                    // '#' before four digits, a fifth digit: nothing changes.
                    break;
            }
        }
    }

    private static TapOutcome Refused(string line) => new(Verdict.Refused, line, null, null);
}
