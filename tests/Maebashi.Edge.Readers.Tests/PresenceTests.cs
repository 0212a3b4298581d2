using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>The presence state machine: one tap per presentation of a card.</summary>
[Trait("Category", "Readers")]
public sealed class PresenceTests
{
    public static TheoryData<string, string> KindsAndCards() => new()
    {
        { "mfrc522-spi", "typeA-7" },
        { "mfrc522-i2c", "classic1k-4" },
        { "pn532-i2c", "typeA-10" },
        { "pn532-spi", "felica-212-424" },
        { "pn532-i2c", "mynumber" },
    };

    [Theory]
    [MemberData(nameof(KindsAndCards))]
    public void Card_held_for_30_seconds_is_one_tap(string kind, string cardName)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(Rigs.Cards[cardName].Make());

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(30));

        Assert.Single(events.Taps());
        Assert.DoesNotContain(events, e => e.Kind == ReaderEventKind.RepeatSuppressed);
        Assert.Equal(ReaderState.WaitForRemoval, reader.State);
    }

    [Theory]
    [MemberData(nameof(KindsAndCards))]
    public void Card_removed_and_returned_is_two_taps(string kind, string cardName)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        VirtualCard card = Rigs.Cards[cardName].Make();
        rig.Field.Place(card);
        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2));
        rig.Field.Remove(card);
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(10)));
        rig.Field.Place(card);
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2)));

        List<CardRead> taps = events.Taps();
        Assert.Equal(2, taps.Count);
        Assert.Equal(taps[0], taps[1]);
        Assert.Equal(2, reader.Health.Taps);
    }

    [Fact]
    public void Card_returned_within_the_repeat_window_is_the_same_tap()
    {
        using var rig = EmulatedReaderRig.Create("mfrc522-spi");
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        VirtualCard card = Rigs.Cards["typeA-4"].Make();
        rig.Field.Place(card);
        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        rig.Field.Remove(card);
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)));
        rig.Field.Place(card);
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)));

        Assert.Single(events.Taps());
        Assert.Single(events, e => e.Kind == ReaderEventKind.RepeatSuppressed);
    }

    [Fact]
    public void Another_card_after_the_first_is_its_own_tap()
    {
        using var rig = EmulatedReaderRig.Create("pn532-i2c");
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        VirtualCard first = Rigs.Cards["typeA-7"].Make();
        VirtualCard second = Rigs.Cards["felica-212-424"].Make();
        rig.Field.Place(first);
        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        rig.Field.Remove(first);
        rig.Field.Place(second);
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)));

        Assert.Equal(["04A1B2C3D4E5F6", "0101120012345678"], events.Taps().Select(t => t.UidHex));
    }
}
