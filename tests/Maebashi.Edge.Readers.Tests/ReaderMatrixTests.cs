using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>Every reader kind × every virtual card: the real binding against the emulated chip.</summary>
[Trait("Category", "Readers")]
public sealed class ReaderMatrixTests
{
    public static TheoryData<string, string> SupportedPairs()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in EmulatedReaderRig.Kinds)
        {
            ReaderKind k = ReaderKinds.Parse(kind);
            foreach (var (name, card) in Rigs.Cards)
            {
                if (k.Techs().Contains(card.Tech))
                {
                    data.Add(kind, name);
                }
            }
        }

        return data;
    }

    public static TheoryData<string, string> UnsupportedPairs()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in EmulatedReaderRig.Kinds)
        {
            ReaderKind k = ReaderKinds.Parse(kind);
            foreach (var (name, card) in Rigs.Cards)
            {
                if (!k.Techs().Contains(card.Tech))
                {
                    data.Add(kind, name);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SupportedPairs))]
    public void Reader_reads_the_card_as_one_tap(string kind, string cardName)
    {
        var (tech, make, uid) = Rigs.Cards[cardName];
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(make());

        List<ReaderEvent> events = Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(3));

        CardRead tap = Assert.Single(events.Taps());
        Assert.Equal(tech, tap.Tech);
        Assert.Equal(uid, tap.UidHex);
        Assert.True(reader.Health.Working);
        Assert.Equal(1, reader.Health.Taps);
    }

    [Theory]
    [MemberData(nameof(UnsupportedPairs))]
    public void Reader_that_cannot_see_the_tech_gives_no_tap_and_says_why(string kind, string cardName)
    {
        var (tech, make, _) = Rigs.Cards[cardName];
        ReaderKind k = ReaderKinds.Parse(kind);
        string? why = k.CheckSupports(tech);
        Assert.NotNull(why);
        Assert.Contains(tech.ToWire(), why);
        Assert.Contains(kind, why);

        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(make());
        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        Assert.Empty(events.Taps());
        Assert.True(reader.Health.Working);
    }

    [Fact]
    public void Readers_report_the_techs_they_can_see()
    {
        Assert.Equal([CardTech.Iso14443A], ReaderKind.Mfrc522Spi.Techs());
        Assert.Equal([CardTech.Iso14443A], ReaderKind.Mfrc522Uart.Techs());
        Assert.Equal([CardTech.Iso14443A, CardTech.Felica, CardTech.Jpki], ReaderKind.Pn532Hsu.Techs());
        Assert.Equal([CardTech.Iso14443A, CardTech.Felica, CardTech.Jpki], ReaderKind.Pn532I2c.Techs());
    }
}
