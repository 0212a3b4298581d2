using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>Wires an emulated reader rig to a <see cref="CardReader"/>, as a technician wires a module.</summary>
internal static class Rigs
{
    public static ReaderBus Bus(EmulatedReaderRig rig, bool wireReset = false) => rig.ReaderBus(wireReset);

    public static CardReader Reader(EmulatedReaderRig rig, TimeProvider time, bool wireReset = false, ReaderSettings? settings = null) =>
        rig.OpenReader(wireReset, settings, time);

    /// <summary>Polls, advancing the fake clock by the poll interval each time, and collects what happened.</summary>
    public static List<ReaderEvent> PollFor(CardReader reader, FakeTimeProvider time, TimeSpan duration)
    {
        List<ReaderEvent> events = [];
        TimeSpan step = reader.Settings.PollInterval;
        for (TimeSpan elapsed = TimeSpan.Zero; elapsed <= duration; elapsed += step)
        {
            if (reader.Poll() is { } happened)
            {
                events.Add(happened);
            }

            time.Advance(step);
        }

        return events;
    }

    /// <summary>Polls until a tap and half a second beyond it (to see no second tap), or until <paramref name="limit"/>.</summary>
    public static List<ReaderEvent> PollUntilTap(CardReader reader, FakeTimeProvider time, TimeSpan limit)
    {
        List<ReaderEvent> events = [];
        TimeSpan step = reader.Settings.PollInterval;
        TimeSpan? stopAt = null;
        for (TimeSpan elapsed = TimeSpan.Zero; elapsed <= (stopAt ?? limit); elapsed += step)
        {
            if (reader.Poll() is { } happened)
            {
                events.Add(happened);
                if (happened.Kind == ReaderEventKind.Tap && stopAt is null)
                {
                    stopAt = elapsed + TimeSpan.FromMilliseconds(500);
                }
            }

            time.Advance(step);
        }

        return events;
    }

    public static List<CardRead> Taps(this IEnumerable<ReaderEvent> events) =>
        [.. events.Where(e => e.Kind == ReaderEventKind.Tap).Select(e => e.Card!)];

    /// <summary>The virtual cards of each tech the matrix reads, by name.</summary>
    public static readonly IReadOnlyDictionary<string, (CardTech Tech, Func<VirtualCard> Make, string Uid)> Cards = BuildCards();

    private static Dictionary<string, (CardTech, Func<VirtualCard>, string)> BuildCards()
    {
        Dictionary<string, (CardTech, Func<VirtualCard>, string)> cards = [];
        void TypeA(string name, string uid, Func<byte[], VirtualCard> make) =>
            cards[name] = (CardTech.Iso14443A, () => make(Convert.FromHexString(uid)), uid);

        TypeA("typeA-4", "1A2B3C4D", u => new TypeACard(u));
        TypeA("typeA-7", "04A1B2C3D4E5F6", u => new TypeACard(u));
        TypeA("typeA-10", "04A1B2C3D4E5F6071829", u => new TypeACard(u));
        TypeA("typeA-7-iso14443-4", "04112233445566", u => new TypeACard(u, sak: 0x20));
        TypeA("classic1k-4", "DEADBEEF", u => new MifareClassic1KCard(u));
        TypeA("classic1k-7", "04C0FFEE123456", u => new MifareClassic1KCard(u));
        TypeA("ultralight", "04010203040506", u => new UltralightTag(u, UltralightVariant.Ultralight));
        TypeA("ntag213", "04AABBCCDDEEFF", u => new UltralightTag(u, UltralightVariant.Ntag213));
        TypeA("ntag216", "04998877665544", u => new UltralightTag(u, UltralightVariant.Ntag216));
        cards["felica-212-424"] = (CardTech.Felica, () => new FelicaCard(Convert.FromHexString("0101120012345678")), "0101120012345678");
        cards["felica-212-only"] = (CardTech.Felica, () => new FelicaCard(Convert.FromHexString("012E4CD1B2C3D4E5"), answers424: false), "012E4CD1B2C3D4E5");
        cards["felica-424-only"] = (CardTech.Felica, () => new FelicaCard(Convert.FromHexString("0139A1B2C3D4E5F6"), answers212: false), "0139A1B2C3D4E5F6");
        cards["mynumber"] = (CardTech.Jpki, () => new MyNumberCard(MyNumberCard.CreateUserAuthenticationCertificate(Convert.FromHexString("0C8F3A21")), [1, 2, 3, 4]), "0C8F3A21");
        cards["mynumber-long-serial"] = (CardTech.Jpki, () => new MyNumberCard(MyNumberCard.CreateUserAuthenticationCertificate(Convert.FromHexString("3F00112233445566778899AABBCCDDEEFF0011"))), "3F00112233445566778899AABBCCDDEEFF0011");
        return cards;
    }
}
