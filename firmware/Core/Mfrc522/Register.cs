using System;

namespace Maebashi.Edge.Firmware.Mfrc522
{
    /// <summary>MFRC522 register addresses (NXP MFRC522 datasheet rev. 3.9, section 9.2 "Register overview", table 20).
    /// The SPI address byte is (register &lt;&lt; 1), bit 7 set to read (section 8.1.2.3); the bus implementation does that.</summary>
    public enum Register : byte
    {
        // Page 0: command and status (9.3.1)
        Command = 0x01,
        ComIEn = 0x02,
        DivIEn = 0x03,
        ComIrq = 0x04,
        DivIrq = 0x05,
        Error = 0x06,
        Status1 = 0x07,
        Status2 = 0x08,
        FifoData = 0x09,
        FifoLevel = 0x0A,
        WaterLevel = 0x0B,
        Control = 0x0C,
        BitFraming = 0x0D,
        Coll = 0x0E,

        // Page 1: command (9.3.2)
        Mode = 0x11,
        TxMode = 0x12,
        RxMode = 0x13,
        TxControl = 0x14,
        TxAsk = 0x15,
        TxSel = 0x16,
        RxSel = 0x17,
        RxThreshold = 0x18,
        Demod = 0x19,
        MfTx = 0x1C,
        MfRx = 0x1D,
        SerialSpeed = 0x1F,

        // Page 2: configuration (9.3.3)
        CrcResultH = 0x21,
        CrcResultL = 0x22,
        ModWidth = 0x24,
        RfCfg = 0x26,
        GsN = 0x27,
        CwGsP = 0x28,
        ModGsP = 0x29,
        TMode = 0x2A,
        TPrescaler = 0x2B,
        TReloadH = 0x2C,
        TReloadL = 0x2D,
        TCounterValueH = 0x2E,
        TCounterValueL = 0x2F,

        // Page 3: test (9.3.4)
        TestSel1 = 0x31,
        TestSel2 = 0x32,
        TestPinEn = 0x33,
        TestPinValue = 0x34,
        TestBus = 0x35,
        AutoTest = 0x36,
        Version = 0x37,
        AnalogTest = 0x38,
        TestDac1 = 0x39,
        TestDac2 = 0x3A,
        TestAdc = 0x3B,
    }

    /// <summary>CommandReg command codes (datasheet section 10.3, table 149).</summary>
    public enum PcdCommand : byte
    {
        Idle = 0x00,
        Mem = 0x01,
        GenerateRandomId = 0x02,
        CalcCrc = 0x03,
        Transmit = 0x04,
        NoCmdChange = 0x07,
        Receive = 0x08,
        Transceive = 0x0C,
        MfAuthent = 0x0E,
        SoftReset = 0x0F,
    }

    /// <summary>CommandReg bits (9.3.1.2).</summary>
    [Flags]
    public enum CommandBits : byte
    {
        None = 0,
        PowerDown = 0x10,
        RcvOff = 0x20,
    }

    /// <summary>ComIrqReg bits (9.3.1.5); write Set1=0 with a bit to clear it.</summary>
    [Flags]
    public enum ComIrqBits : byte
    {
        None = 0,
        TimerIrq = 0x01,
        ErrIrq = 0x02,
        LoAlertIrq = 0x04,
        HiAlertIrq = 0x08,
        IdleIrq = 0x10,
        RxIrq = 0x20,
        TxIrq = 0x40,
        Set1 = 0x80,
        All = 0x7F,
    }

    /// <summary>DivIrqReg bits (9.3.1.6).</summary>
    [Flags]
    public enum DivIrqBits : byte
    {
        None = 0,
        CrcIrq = 0x04,
        MfinActIrq = 0x10,
        Set2 = 0x80,
    }

    /// <summary>ErrorReg bits (9.3.1.7).</summary>
    [Flags]
    public enum ErrorBits : byte
    {
        None = 0,
        ProtocolErr = 0x01,
        ParityErr = 0x02,
        CrcErr = 0x04,
        CollErr = 0x08,
        BufferOvfl = 0x10,
        TempErr = 0x40,
        WrErr = 0x80,
    }

    /// <summary>FIFOLevelReg bits (9.3.1.11).</summary>
    [Flags]
    public enum FifoLevelBits : byte
    {
        None = 0,
        FlushBuffer = 0x80,
        LevelMask = 0x7F,
    }

    /// <summary>BitFramingReg bits (9.3.1.14): StartSend, RxAlign[6:4], TxLastBits[2:0].</summary>
    [Flags]
    public enum BitFramingBits : byte
    {
        None = 0,
        TxLastBitsMask = 0x07,
        RxAlignMask = 0x70,
        StartSend = 0x80,
    }

    /// <summary>CollReg bits (9.3.1.15).</summary>
    [Flags]
    public enum CollBits : byte
    {
        None = 0,
        CollPosMask = 0x1F,
        CollPosNotValid = 0x20,
        ValuesAfterColl = 0x80,
    }

    /// <summary>TxControlReg bits (9.3.2.5): the two antenna drivers.</summary>
    [Flags]
    public enum TxControlBits : byte
    {
        None = 0,
        Tx1RfEn = 0x01,
        Tx2RfEn = 0x02,
    }

    /// <summary>RFCfgReg RxGain[6:4] (9.3.3.6, table 98): receiver gain in dB.</summary>
    public enum AntennaGain : byte
    {
        Db18 = 0x00,
        Db23 = 0x10,
        Db18b = 0x20,
        Db23b = 0x30,
        Db33 = 0x40,
        Db38 = 0x50,
        Db43 = 0x60,
        Db48 = 0x70,
    }
}
