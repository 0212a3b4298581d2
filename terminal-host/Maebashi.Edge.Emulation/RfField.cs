using Maebashi.Edge.Emulation.Cards;

namespace Maebashi.Edge.Emulation;

/// <summary>
/// The space in front of an emulated reader's antenna: which virtual cards are in it, and the
/// radio faults to inject (bit errors, a card leaving mid-read). Tests place and remove cards
/// from any thread while a reader polls it.
/// </summary>
public sealed class RfField
{
    private readonly Lock _gate = new();
    private readonly List<VirtualCard> _cards = [];
    private readonly Dictionary<VirtualCard, int> _leaveAfter = [];
    private int _corruptAnswers;
    private long _frames;
    private double _airMicroseconds;

    /// <summary>
    /// What the exchanges with this field's cards would have taken on the air, by the emulated timing model
    /// (<see cref="RadioTiming"/>); the emulators add to it as they run. Tests and benchmarks take differences of it.
    /// </summary>
    public TimeSpan AirTime
    {
        get
        {
            lock (_gate)
            {
                return TimeSpan.FromMicroseconds(_airMicroseconds);
            }
        }
    }

    /// <summary>Called by an emulated chip for each exchange it ran (see <see cref="RadioTiming"/>).</summary>
    internal void AddAirTime(double microseconds)
    {
        lock (_gate)
        {
            _airMicroseconds += microseconds;
        }
    }

    /// <summary>Frames any card has answered since the field was made.</summary>
    public long AnsweredFrames
    {
        get
        {
            lock (_gate)
            {
                return _frames;
            }
        }
    }

    public IReadOnlyList<VirtualCard> Cards
    {
        get
        {
            lock (_gate)
            {
                return [.. _cards];
            }
        }
    }

    /// <summary>Brings a card into the field; it powers up in its idle state.</summary>
    public void Place(VirtualCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        lock (_gate)
        {
            if (!_cards.Contains(card))
            {
                PowerUp(card);
                _cards.Add(card);
            }
        }
    }

    /// <summary>Takes a card out of the field; it loses power and every state.</summary>
    public void Remove(VirtualCard card)
    {
        lock (_gate)
        {
            _cards.Remove(card);
            _leaveAfter.Remove(card);
            PowerUp(card);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            foreach (VirtualCard card in _cards)
            {
                PowerUp(card);
            }

            _cards.Clear();
            _leaveAfter.Clear();
        }
    }

    /// <summary>Fault: the card answers <paramref name="frames"/> more frames, then leaves the field (pulled away mid-read).</summary>
    public void LeaveAfter(VirtualCard card, int frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frames);
        lock (_gate)
        {
            _leaveAfter[card] = frames;
        }
    }

    /// <summary>Fault: the next <paramref name="answers"/> card answers arrive with one bit flipped (CRC/BCC failures).</summary>
    public void CorruptNextAnswers(int answers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(answers);
        lock (_gate)
        {
            _corruptAnswers = answers;
        }
    }

    /// <summary>The cards a reader can reach now, in a stable order.</summary>
    internal List<T> Present<T>()
        where T : VirtualCard
    {
        lock (_gate)
        {
            return [.. _cards.OfType<T>()];
        }
    }

    /// <summary>
    /// Called by an emulated chip once per card answer: counts down "leave after" faults and
    /// flips a bit when a corruption is pending. Returns the (possibly corrupted) answer, or
    /// null when the card has just left and so said nothing.
    /// </summary>
    internal byte[]? OnAnswer(VirtualCard card, byte[] answer)
    {
        lock (_gate)
        {
            if (!_cards.Contains(card))
            {
                return null;
            }

            if (_leaveAfter.TryGetValue(card, out int left))
            {
                if (left == 0)
                {
                    _cards.Remove(card);
                    _leaveAfter.Remove(card);
                    PowerUp(card);
                    return null;
                }

                _leaveAfter[card] = left - 1;
            }

            _frames++;
            if (_corruptAnswers > 0 && answer.Length > 0)
            {
                _corruptAnswers--;
                byte[] corrupted = (byte[])answer.Clone();
                corrupted[0] ^= 0x01;
                return corrupted;
            }

            return answer;
        }
    }

    private static void PowerUp(VirtualCard card)
    {
        switch (card)
        {
            case TypeACard a:
                a.Reset();
                break;
            case IPoweredCard p:
                p.Reset();
                break;
        }
    }
}

/// <summary>A card with session state that a power cycle (leaving the field) clears.</summary>
public interface IPoweredCard
{
    void Reset();
}
