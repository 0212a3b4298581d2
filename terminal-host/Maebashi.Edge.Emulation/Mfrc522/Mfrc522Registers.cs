namespace Maebashi.Edge.Emulation.Mfrc522;

/// <summary>MFRC522 register addresses (datasheet MFRC522 rev 3.9, section 9.2), unshifted 0x00..0x3F.</summary>
public static class Mfrc522Registers
{
    public const byte Command = 0x01;
    public const byte ComIEn = 0x02;
    public const byte DivIEn = 0x03;
    public const byte ComIrq = 0x04;
    public const byte DivIrq = 0x05;
    public const byte Error = 0x06;
    public const byte Status1 = 0x07;
    public const byte Status2 = 0x08;
    public const byte FifoData = 0x09;
    public const byte FifoLevel = 0x0A;
    public const byte WaterLevel = 0x0B;
    public const byte Control = 0x0C;
    public const byte BitFraming = 0x0D;
    public const byte Coll = 0x0E;
    public const byte Mode = 0x11;
    public const byte TxMode = 0x12;
    public const byte RxMode = 0x13;
    public const byte TxControl = 0x14;
    public const byte TxAsk = 0x15;
    public const byte CrcResultHigh = 0x21;
    public const byte CrcResultLow = 0x22;
    public const byte RFCfg = 0x26;
    public const byte TMode = 0x2A;
    public const byte TPrescaler = 0x2B;
    public const byte TReloadHigh = 0x2C;
    public const byte TReloadLow = 0x2D;
    public const byte TCounterValueHigh = 0x2E;
    public const byte TCounterValueLow = 0x2F;
    public const byte VersionReg = 0x37;

    // CommandReg commands (section 10.3).
    public const byte CmdIdle = 0x00;
    public const byte CmdMem = 0x01;
    public const byte CmdGenerateRandomId = 0x02;
    public const byte CmdCalcCrc = 0x03;
    public const byte CmdTransmit = 0x04;
    public const byte CmdNoCmdChange = 0x07;
    public const byte CmdReceive = 0x08;
    public const byte CmdTransceive = 0x0C;
    public const byte CmdMfAuthent = 0x0E;
    public const byte CmdSoftReset = 0x0F;

    // ComIrqReg bits.
    public const byte IrqTimer = 0x01;
    public const byte IrqErr = 0x02;
    public const byte IrqLoAlert = 0x04;
    public const byte IrqHiAlert = 0x08;
    public const byte IrqIdle = 0x10;
    public const byte IrqRx = 0x20;
    public const byte IrqTx = 0x40;

    // DivIrqReg bits.
    public const byte DivIrqCrc = 0x04;

    // ErrorReg bits.
    public const byte ErrProtocol = 0x01;
    public const byte ErrParity = 0x02;
    public const byte ErrCrc = 0x04;
    public const byte ErrColl = 0x08;
    public const byte ErrBufferOvfl = 0x10;

    // Status2Reg.
    public const byte MfCrypto1On = 0x08;
}
