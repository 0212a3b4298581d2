namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// A FeliCa card as seen by polling: IDm (8 bytes, the uid), PMm, system code, and the bit
/// rates it answers at (212 and/or 424 kbps).
/// </summary>
public sealed class FelicaCard : VirtualCard
{
    private readonly byte[] _idm;
    private readonly byte[] _pmm;

    public FelicaCard(ReadOnlySpan<byte> idm, ReadOnlySpan<byte> pmm = default, ushort systemCode = 0x0003, bool answers212 = true, bool answers424 = true)
    {
        if (idm.Length != 8)
        {
            throw new ArgumentException($"a FeliCa IDm has 8 bytes, not {idm.Length}", nameof(idm));
        }

        if (!pmm.IsEmpty && pmm.Length != 8)
        {
            throw new ArgumentException($"a FeliCa PMm has 8 bytes, not {pmm.Length}", nameof(pmm));
        }

        _idm = idm.ToArray();
        // A typical PMm of a transit card (ROM/IC type, then timing parameters).
        _pmm = pmm.IsEmpty ? [0x01, 0x20, 0x22, 0x04, 0x27, 0x67, 0x4E, 0xFF] : pmm.ToArray();
        SystemCode = systemCode;
        Answers212 = answers212;
        Answers424 = answers424;
    }

    public override CardAirInterface AirInterface => CardAirInterface.Felica;

    public ReadOnlySpan<byte> Idm => _idm;

    public ReadOnlySpan<byte> Pmm => _pmm;

    public ushort SystemCode { get; }

    public bool Answers212 { get; }

    public bool Answers424 { get; }

    /// <summary>
    /// The polling command (JIS X 6319-4): system code (0xFFFF wildcard), request code (1 asks for
    /// the system code), time slots. Returns the response after its length byte
    /// (code 0x01, IDm, PMm, [system code]) or null when the card does not answer.
    /// </summary>
    public byte[]? Poll(ushort systemCode, byte requestCode)
    {
        bool matches = systemCode == 0xFFFF
            || ((systemCode & 0xFF00) == 0xFF00 && (systemCode & 0xFF) == (SystemCode & 0xFF))
            || ((systemCode & 0x00FF) == 0x00FF && (systemCode >> 8) == (SystemCode >> 8))
            || systemCode == SystemCode;
        if (!matches)
        {
            return null;
        }

        List<byte> response = [0x01, .. _idm, .. _pmm];
        if (requestCode == 0x01)
        {
            response.Add((byte)(SystemCode >> 8));
            response.Add((byte)(SystemCode & 0xFF));
        }

        return [.. response];
    }

    public override string Describe() => $"FeliCa IDm {Convert.ToHexString(_idm)}";
}
