using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Readers;

/// <summary>A reader chip and the bus it is wired on.</summary>
public enum ReaderKind
{
    Mfrc522Spi,
    Mfrc522I2c,
    Mfrc522Uart,
    Pn532Spi,
    Pn532I2c,
    Pn532Hsu,
}

public enum ReaderChip
{
    Mfrc522,
    Pn532,
}

public enum ReaderBusType
{
    Spi,
    I2c,
    Serial,
}

public static class ReaderKinds
{
    public static readonly IReadOnlyList<string> All = ["mfrc522-spi", "mfrc522-i2c", "mfrc522-uart", "pn532-spi", "pn532-i2c", "pn532-hsu"];

    private static readonly CardTech[] Mfrc522Techs = [CardTech.Iso14443A];
    private static readonly CardTech[] Pn532Techs = [CardTech.Iso14443A, CardTech.Felica, CardTech.Jpki];

    public static string ToWire(this ReaderKind kind) => All[(int)kind];

    public static bool TryParse(string? wire, out ReaderKind kind)
    {
        int index = wire is null ? -1 : All.ToList().IndexOf(wire);
        kind = index < 0 ? default : (ReaderKind)index;
        return index >= 0;
    }

    public static ReaderKind Parse(string wire) =>
        TryParse(wire, out ReaderKind kind) ? kind : throw new ArgumentException($"unknown reader kind '{wire}' (expected {string.Join(", ", All)})", nameof(wire));

    public static ReaderChip Chip(this ReaderKind kind) => kind <= ReaderKind.Mfrc522Uart ? ReaderChip.Mfrc522 : ReaderChip.Pn532;

    public static ReaderBusType Bus(this ReaderKind kind) => kind switch
    {
        ReaderKind.Mfrc522Spi or ReaderKind.Pn532Spi => ReaderBusType.Spi,
        ReaderKind.Mfrc522I2c or ReaderKind.Pn532I2c => ReaderBusType.I2c,
        _ => ReaderBusType.Serial,
    };

    /// <summary>The card techs a chip can see (docs/contract.md §2): the MFRC522 reads Type A alone.</summary>
    public static IReadOnlyList<CardTech> Techs(this ReaderChip chip) => chip == ReaderChip.Mfrc522 ? Mfrc522Techs : Pn532Techs;

    public static IReadOnlyList<CardTech> Techs(this ReaderKind kind) => kind.Chip().Techs();

    /// <summary>Why this reader cannot see a tech, or null when it can.</summary>
    public static string? CheckSupports(this ReaderKind kind, CardTech tech) =>
        kind.Techs().Contains(tech)
            ? null
            : $"a {kind.ToWire()} reader cannot see {tech.ToWire()} cards (it reads {string.Join(", ", kind.Techs().Select(t => t.ToWire()))})";
}
